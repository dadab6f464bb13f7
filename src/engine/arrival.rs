//! The open model: arrivals on a fixed timeline, each taken by a free VU.
//!
//! A dispatcher task owns the timeline and the VUs. The engine hands it the rate
//! as a [`RateCurve`] (the plan's target now and how fast it moves); the
//! dispatcher integrates it exactly (a linear ramp's cumulative count is a
//! quadratic), so the n-th arrival is due when the integral reaches n: no drift
//! however long the run, and a rate change re-anchors the curve without a burst.
//!
//! Each due arrival goes to a free VU with its intended start; a busy pool grows
//! up to `max_vus`, and past that the arrival waits for the next VU to come free
//! (first come, first served), as a request waits for a connection in wrk2. One
//! that cannot start within [`MAX_QUEUE_WAIT`] is *dropped* and counted with its
//! reason. The VU records the delay between the intended start and the send, so
//! a stalled server shows as the whole second of late requests it caused, not as
//! the handful that were in flight when it froze.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::engine::vu::{Arrival, VuShared, run_arrival_vu};
use crate::limits::MAX_VUS;
use crate::metrics::recorder::LocalRecorder;
use crate::metrics::scope::DropReason;
use crate::segment::Share;

/// An arrival older than this when the dispatcher reaches it is dropped as
/// "loader behind": the loader could not keep its own schedule (CPU saturated),
/// and sending a burst of stale arrivals would only hide that.
pub const MAX_DISPATCH_LAG: Duration = Duration::from_secs(1);
/// The longest an arrival waits for a free VU before it is dropped ("no VU free").
pub const MAX_QUEUE_WAIT: Duration = Duration::from_secs(5);
/// Arrivals that may wait for a VU at once; more are dropped at once (a bound on
/// memory when the target has stopped answering at a high rate).
const MAX_PENDING: usize = 100_000;
/// VUs the pool may grow to when `max_vus` is not set: enough for ten seconds
/// of the rate in flight, within these bounds.
const AUTO_MAX_VUS: (u32, u32) = (100, 10_000);

/// The arrival rate from `at` on: `rate` per second, changing by `slope` per
/// second until `until` (seconds after `at`), then flat, and none from `end`
/// (seconds after `at`) on. The engine sends a new curve whenever the plan
/// changes course.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateCurve {
    pub at: Instant,
    pub rate: f64,
    pub slope: f64,
    pub until: f64,
    /// Where the run's schedule ends: no arrival is due at or after it. The
    /// engine notices the end on its next tick, which a loaded machine delays;
    /// the timeline must not issue arrivals in that gap. `f64::INFINITY` while
    /// the end is not in sight (held, steered by hand).
    pub end: f64,
}

impl RateCurve {
    /// No arrivals (paused, or a zero target).
    pub fn zero(at: Instant) -> RateCurve {
        RateCurve {
            at,
            rate: 0.0,
            slope: 0.0,
            until: 0.0,
            end: f64::INFINITY,
        }
    }

    /// No arrival is ever due (paused, or a zero target that stays zero).
    pub fn never_arrives(&self) -> bool {
        self.rate <= 0.0 && self.slope <= 0.0
    }

    /// The rate `t` seconds after `at`.
    pub fn rate_at(&self, t: f64) -> f64 {
        let ramp = t.clamp(0.0, self.until);
        (self.rate + self.slope * ramp).max(0.0)
    }

    /// Arrivals between `at` and `t` seconds after it.
    pub fn count_to(&self, t: f64) -> f64 {
        let t = t.clamp(0.0, self.end);
        let ramp = t.min(self.until);
        let ramped = self.rate * ramp + self.slope * ramp * ramp / 2.0;
        ramped + self.rate_at(self.until) * (t - ramp).max(0.0)
    }

    /// When (seconds after `at`) the count reaches `n`; `None` if it never
    /// does, or only at or after the curve's end.
    pub fn time_of(&self, n: f64) -> Option<f64> {
        self.unbounded_time_of(n).filter(|&t| t < self.end)
    }

    fn unbounded_time_of(&self, n: f64) -> Option<f64> {
        if n <= 0.0 {
            return Some(0.0);
        }
        let ramped = self.count_to(self.until);
        if n <= ramped {
            if self.slope.abs() < 1e-12 {
                return (self.rate > 0.0).then(|| n / self.rate);
            }
            // rate·t + slope·t²/2 = n, the root where the rate is still positive.
            let disc = self.rate * self.rate + 2.0 * self.slope * n;
            if disc < 0.0 {
                return None;
            }
            let t = (disc.sqrt() - self.rate) / self.slope;
            return (t >= 0.0).then_some(t.min(self.until));
        }
        let flat = self.rate_at(self.until);
        (flat > 0.0).then(|| self.until + (n - ramped) / flat)
    }
}

/// Where the timeline is: the curve in force, the count at its start, and how
/// many arrivals have been issued in all.
///
/// The timeline is the whole run's (the curve is the run-wide rate); with a
/// `--segment`, this process takes only the arrivals its share owns (run-wide
/// arrival n is due when the integral reaches n, whichever agent sends it), so
/// the agents' arrivals together are exactly the whole timeline.
#[derive(Debug, Clone)]
pub struct Timeline {
    curve: RateCurve,
    /// Arrivals (fractional) the run had accumulated when `curve` took over.
    base: f64,
    /// Run-wide number of the next arrival to consider (one past the last taken).
    issued: u64,
    /// Which run-wide arrivals are this process's.
    share: Share,
}

impl Timeline {
    pub fn new(curve: RateCurve) -> Timeline {
        Timeline::for_share(curve, Share::whole())
    }

    /// A timeline of which this process sends `share`'s arrivals.
    pub fn for_share(curve: RateCurve, share: Share) -> Timeline {
        Timeline {
            curve,
            base: 0.0,
            issued: 0,
            share,
        }
    }

    /// Switches to `curve` at its `at`, keeping the count reached so far: the
    /// next arrival keeps its place in the old curve's cycle.
    pub fn retarget(&mut self, curve: RateCurve) {
        let since = curve
            .at
            .saturating_duration_since(self.curve.at)
            .as_secs_f64();
        self.base += self.curve.count_to(since);
        // A pause (rate 0) must not leave arrivals the dispatcher had not yet
        // issued as a backlog to burst on resume: they are forgotten. Any other
        // change continues the count exactly, even when the dispatcher issued
        // arrivals past the new curve's start before it saw the curve (clamping
        // then would move the timeline on and add arrivals each retarget).
        if self.curve.never_arrives() || curve.never_arrives() {
            self.base = self.base.min(self.issued as f64);
        }
        self.curve = curve;
    }

    /// When this process's next arrival is due; `None` while the rate is zero.
    pub fn next_due(&self) -> Option<Instant> {
        let n = self.share.next_owned(self.issued) as f64 - self.base;
        let t = self.curve.time_of(n)?;
        Some(self.curve.at + Duration::from_secs_f64(t.min(1e9)))
    }

    /// Takes this process's next arrival if it is due by `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<Instant> {
        let due = self.next_due()?;
        (due <= now).then(|| {
            self.issued = self.share.next_owned(self.issued) + 1;
            due
        })
    }

    pub fn issued(&self) -> u64 {
        self.issued
    }
}

/// How the open model sizes its pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ArrivalLimits {
    /// The most VUs serving arrivals; `None`: ten seconds of the current rate,
    /// between 100 and 10,000.
    pub max_vus: Option<u32>,
    /// VUs started (and set up) before the first arrival; `None`: 2% of the
    /// first stage's peak rate, at least one.
    pub pre_allocated_vus: Option<u32>,
}

impl ArrivalLimits {
    /// A segment's part of the limits: an explicit `max_vus` or
    /// `pre_allocated_vus` is a run-wide figure, split like VUs (at least 1 each).
    pub fn for_share(self, share: &Share) -> ArrivalLimits {
        let part = |n: u32| share.scale_u32(n).max(1);
        ArrivalLimits {
            max_vus: self.max_vus.map(part),
            pre_allocated_vus: self.pre_allocated_vus.map(part),
        }
    }

    /// The most VUs for this process's `rate` (its own part of the run's rate).
    fn max_for(&self, rate: f64) -> u32 {
        self.max_vus
            .unwrap_or_else(|| ((rate * 10.0).ceil() as u32).clamp(AUTO_MAX_VUS.0, AUTO_MAX_VUS.1))
    }
}

/// The engine's handle on the dispatcher task.
pub struct ArrivalPool {
    curve: watch::Sender<RateCurve>,
    retire: CancellationToken,
    /// VUs allocated (idle and busy).
    vus: Arc<AtomicU32>,
    /// VUs not idle: serving an arrival (or still in setup). Written by the
    /// dispatcher each turn of its loop; the engine reads it for a switch to VUs.
    busy: Arc<AtomicU32>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl ArrivalPool {
    /// `first_rate` is the run-wide rate; the pool is sized for this process's part.
    pub fn start(shared: Arc<VuShared>, limits: ArrivalLimits, first_rate: f64) -> ArrivalPool {
        let share = shared.prepared.segment.clone();
        let limits = limits.for_share(&share);
        let first_rate = first_rate * share.segment().fraction();
        let (curve, curve_rx) = watch::channel(RateCurve::zero(Instant::now()));
        let retire = CancellationToken::new();
        let vus = Arc::new(AtomicU32::new(0));
        let busy = Arc::new(AtomicU32::new(0));
        let dispatcher = Dispatcher::new(shared, limits, vus.clone(), busy.clone());
        let pre = limits
            .pre_allocated_vus
            .unwrap_or_else(|| ((first_rate * 0.02).ceil() as u32).max(1));
        let pre = pre.min(limits.max_for(first_rate)).min(MAX_VUS);
        let task = tokio::spawn(dispatcher.run(curve_rx, retire.clone(), pre));
        ArrivalPool {
            curve,
            retire,
            vus,
            busy,
            task: Some(task),
        }
    }

    /// VUs busy with an arrival now: the open model's current concurrency.
    pub fn busy(&self) -> u32 {
        self.busy.load(Ordering::Relaxed)
    }

    /// Sets the rate curve (a no-op when it is unchanged).
    pub fn set_curve(&self, curve: RateCurve) {
        self.curve.send_if_modified(|c| {
            let same = c.rate == curve.rate && c.slope == curve.slope && c.until == curve.until;
            if !same {
                *c = curve;
            }
            !same
        });
    }

    pub fn vus(&self) -> u32 {
        self.vus.load(Ordering::Relaxed)
    }

    /// Stops issuing arrivals; VUs finish their in-flight iteration.
    pub fn retire_all(&mut self) {
        self.retire.cancel();
    }

    /// VU tasks still running (the dispatcher waits for them before it ends).
    pub fn running(&self) -> usize {
        if self.task.as_ref().is_some_and(|t| !t.is_finished()) {
            self.vus().max(1) as usize
        } else {
            0
        }
    }

    /// Panics of the dispatcher itself (its VUs' panics are logged by it).
    pub async fn join(&mut self) -> Option<String> {
        let task = self.task.as_mut()?;
        let result = task.await;
        self.task = None;
        result.err().filter(|e| e.is_panic()).map(|e| e.to_string())
    }
}

/// A VU slot the dispatcher can hand an arrival to.
struct Slot {
    tx: mpsc::Sender<Arrival>,
}

/// The task that issues arrivals.
struct Dispatcher {
    shared: Arc<VuShared>,
    limits: ArrivalLimits,
    vus: Arc<AtomicU32>,
    /// See [`ArrivalPool::busy`].
    busy: Arc<AtomicU32>,
    slots: Vec<Slot>,
    /// Indices of idle VUs.
    free: Vec<usize>,
    /// Intended starts of arrivals waiting for a VU, oldest first.
    pending: std::collections::VecDeque<Instant>,
    done_tx: mpsc::UnboundedSender<usize>,
    done_rx: mpsc::UnboundedReceiver<usize>,
    tasks: JoinSet<()>,
    /// Counts arrivals and drops for the aggregator like a VU's recorder.
    recorder: LocalRecorder,
}

impl Dispatcher {
    fn new(
        shared: Arc<VuShared>,
        limits: ArrivalLimits,
        vus: Arc<AtomicU32>,
        busy: Arc<AtomicU32>,
    ) -> Dispatcher {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        let recorder = LocalRecorder::new(shared.batches.clone());
        Dispatcher {
            shared,
            limits,
            vus,
            busy,
            slots: Vec::new(),
            free: Vec::new(),
            pending: std::collections::VecDeque::new(),
            done_tx,
            done_rx,
            tasks: JoinSet::new(),
            recorder,
        }
    }

    /// Starts one VU (its setup runs at once); returns its slot index. A
    /// pre-allocated VU says when it is ready; one started for a waiting arrival
    /// finds it in its mailbox and says so only once that is done.
    fn spawn_vu(&mut self, announce_ready: bool) -> usize {
        let id = self.slots.len();
        let (tx, rx) = mpsc::channel(1);
        self.slots.push(Slot { tx });
        let abort = self.shared.abort.child_token();
        let vu = run_arrival_vu(
            id as u64,
            self.shared.clone(),
            rx,
            self.done_tx.clone(),
            announce_ready,
            abort,
        );
        self.shared.workers.spawn(&mut self.tasks, id as u64, vu);
        self.vus.store(self.slots.len() as u32, Ordering::Relaxed);
        id
    }

    /// Hands one due arrival to a VU, queues it for the next free one, or drops it.
    fn dispatch(&mut self, intended: Instant, now: Instant, rate: f64) {
        self.recorder.arrival();
        if now.saturating_duration_since(intended) > MAX_DISPATCH_LAG {
            self.recorder.dropped(DropReason::LoaderBehind);
            return;
        }
        if let Some(slot) = self.free.pop() {
            self.send(slot, intended);
        } else if (self.slots.len() as u32) < self.limits.max_for(rate).min(MAX_VUS) {
            let slot = self.spawn_vu(false);
            self.send(slot, intended);
        } else if self.pending.len() < MAX_PENDING {
            self.pending.push_back(intended);
        } else {
            self.recorder.dropped(DropReason::NoVuFree);
        }
    }

    /// A VU is free: it takes the oldest waiting arrival, or waits itself.
    fn vu_free(&mut self, slot: usize, now: Instant) {
        self.expire(now);
        match self.pending.pop_front() {
            Some(intended) => self.send(slot, intended),
            None => self.free.push(slot),
        }
    }

    /// Drops the waiting arrivals that can no longer start in time.
    fn expire(&mut self, now: Instant) {
        while self
            .pending
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > MAX_QUEUE_WAIT)
        {
            self.pending.pop_front();
            self.recorder.dropped(DropReason::NoVuFree);
        }
    }

    fn send(&mut self, slot: usize, intended: Instant) {
        // The mailbox holds one arrival and a VU gets one only while it is free
        // (or, just started, before its first), so this does not fail while the
        // VU runs; a VU that died (panicked) loses the arrival, counted as dropped.
        if self.slots[slot].tx.try_send(Arrival { intended }).is_err() {
            self.recorder.dropped(DropReason::NoVuFree);
        }
    }

    async fn run(
        mut self,
        mut curve_rx: watch::Receiver<RateCurve>,
        retire: CancellationToken,
        pre_allocated: u32,
    ) {
        for _ in 0..pre_allocated {
            self.spawn_vu(true);
        }
        let share = self.shared.prepared.segment.clone();
        // This process's part of the run-wide rate, to size the pool.
        let fraction = share.segment().fraction();
        let mut timeline = Timeline::for_share(*curve_rx.borrow_and_update(), share);
        let abort = self.shared.abort.clone();
        loop {
            let now = Instant::now();
            let rate = fraction
                * timeline.curve.rate_at(
                    now.saturating_duration_since(timeline.curve.at)
                        .as_secs_f64(),
                );
            while let Some(intended) = timeline.pop_due(now) {
                self.dispatch(intended, now, rate);
            }
            self.expire(now);
            self.recorder.maybe_flush();
            self.busy.store(
                (self.slots.len() - self.free.len()) as u32,
                Ordering::Relaxed,
            );
            let next = timeline
                .next_due()
                .map(tokio::time::Instant::from_std)
                .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_millis(100));
            tokio::select! {
                _ = tokio::time::sleep_until(next) => {}
                done = self.done_rx.recv() => {
                    if let Some(slot) = done { self.vu_free(slot, Instant::now()) }
                }
                changed = curve_rx.changed() => {
                    if changed.is_err() { break }
                    timeline.retarget(*curve_rx.borrow_and_update());
                }
                _ = retire.cancelled() => break,
                _ = abort.cancelled() => break,
            }
        }
        // Arrivals still waiting when the run ends were never sent.
        for _ in self.pending.drain(..) {
            self.recorder.dropped(DropReason::NoVuFree);
        }
        self.recorder.flush();
        self.recorder.finish().await;
        // Closing the mailboxes ends every VU once its iteration is done.
        self.slots.clear();
        while self.tasks.join_next().await.is_some() {
            self.vus.store(self.tasks.len() as u32, Ordering::Relaxed);
        }
        self.vus.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(rate: f64, slope: f64, until: f64) -> RateCurve {
        RateCurve {
            at: Instant::now(),
            rate,
            slope,
            until,
            end: f64::INFINITY,
        }
    }

    #[test]
    fn no_arrival_is_due_at_or_after_the_end() {
        // 100/s for 3 s: arrivals 0..300 at 0, 10 ms, … 2.99 s; none at 3 s or
        // later however late the engine notices the end.
        let start = Instant::now();
        let mut tl = Timeline::new(RateCurve {
            at: start,
            end: 3.0,
            ..curve(100.0, 0.0, 0.0)
        });
        let mut n = 0;
        while tl.pop_due(start + Duration::from_secs(10)).is_some() {
            n += 1;
        }
        assert_eq!(n, 300);
        assert_eq!(tl.next_due(), None);
    }

    #[test]
    fn constant_rate_arrivals_sit_on_a_lattice() {
        let c = curve(500.0, 0.0, 0.0);
        for n in [0u32, 1, 7, 499, 500, 30_000] {
            let t = c.time_of(f64::from(n)).unwrap();
            assert!((t - f64::from(n) / 500.0).abs() < 1e-9, "n {n}: {t}");
        }
    }

    #[test]
    fn a_ramp_integrates_exactly() {
        // 0 → 100/s over 10 s: 500 arrivals, the 125th at 5 s.
        let c = curve(0.0, 10.0, 10.0);
        assert!((c.count_to(10.0) - 500.0).abs() < 1e-9);
        assert!((c.time_of(125.0).unwrap() - 5.0).abs() < 1e-9);
        // Then flat at 100/s.
        assert!((c.time_of(600.0).unwrap() - 11.0).abs() < 1e-9);
        // A ramp down to zero never reaches past its area.
        let down = curve(100.0, -10.0, 10.0);
        assert!((down.count_to(20.0) - 500.0).abs() < 1e-9);
        assert_eq!(down.time_of(501.0), None);
    }

    /// Three agents' timelines of one 300/s run: each sends a third, and
    /// together every run-wide arrival exactly once, at its run-wide time.
    #[test]
    fn segments_split_the_run_wide_timeline_exactly() {
        let start = Instant::now();
        let run = RateCurve {
            at: start,
            end: 2.0,
            ..curve(300.0, 0.0, 0.0)
        };
        let mut whole = Timeline::new(run);
        let mut all = Vec::new();
        while let Some(t) = whole.pop_due(start + Duration::from_secs(5)) {
            all.push(t);
        }
        assert_eq!(all.len(), 600);
        let mut union = Vec::new();
        for share in crate::segment::SegmentSequence::equal(3).shares() {
            let mut tl = Timeline::for_share(run, share);
            let mut mine = Vec::new();
            while let Some(t) = tl.pop_due(start + Duration::from_secs(5)) {
                mine.push(t);
            }
            assert_eq!(mine.len(), 200);
            union.extend(mine);
        }
        union.sort();
        assert_eq!(union, all, "the agents' arrivals are the whole timeline");
    }

    /// The engine stamps a curve before the dispatcher sees it; arrivals the
    /// dispatcher issued in between are not sent again, and none are added.
    #[test]
    fn a_late_seen_retarget_neither_adds_nor_drops_arrivals() {
        let start = Instant::now();
        let at = |s: f64| start + Duration::from_secs_f64(s);
        let mut tl = Timeline::new(RateCurve {
            at: start,
            ..curve(300.0, 0.0, 0.0)
        });
        let mut n = 0;
        // Twenty retargets, each seen 30 ms (9 arrivals) after it was stamped.
        for step in 1..=20 {
            let stamped = f64::from(step) * 0.1;
            while tl.pop_due(at(stamped + 0.03)).is_some() {
                n += 1;
            }
            tl.retarget(RateCurve {
                at: at(stamped),
                ..curve(300.0, 0.0, 0.0)
            });
        }
        // The last pass popped up to 2.03 s: arrivals 0..=609.
        assert_eq!(n, 610, "every arrival due by 2.03 s, once");
    }

    #[test]
    fn retargeting_keeps_the_schedule_without_a_burst() {
        let start = Instant::now();
        let mut tl = Timeline::new(RateCurve {
            at: start,
            ..curve(100.0, 0.0, 0.0)
        });
        let at = |s: f64| start + Duration::from_secs_f64(s);
        let mut n = 0;
        while tl.pop_due(at(1.0)).is_some() {
            n += 1;
        }
        assert_eq!(n, 101, "arrivals 0..=100 are due by 1 s");
        // Pause for 5 s: no backlog builds up.
        tl.retarget(RateCurve::zero(at(1.0)));
        assert_eq!(tl.next_due(), None);
        tl.retarget(RateCurve {
            at: at(6.0),
            ..curve(100.0, 0.0, 0.0)
        });
        let mut burst = 0;
        while tl.pop_due(at(6.0)).is_some() {
            burst += 1;
        }
        assert!(burst <= 1, "{burst} arrivals burst out after the pause");
        let next = tl.next_due().unwrap().duration_since(start).as_secs_f64();
        assert!((6.0..=6.011).contains(&next), "next at {next}");
    }
}
