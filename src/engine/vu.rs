//! One virtual user: take a persona (by VU id, so shares follow the weights), run
//! its setup once (retrying with backoff), then loop: wait while paused, pick a
//! request or flow by weight, send it, record the outcome locally, think, repeat —
//! until retired (finish the in-flight request, then stop) or aborted (stop now).

use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

use crate::engine::client::{ClientConfig, VuClient};
use crate::engine::journey::{self, StepCx, VuJourney, record_executed};
use crate::engine::request::Prepared;
use crate::metrics::recorder::{Batch, LocalRecorder};
use crate::outcome::OutcomeClass;
use crate::profile::Choice;
use crate::profile::ThinkTime;

/// Whether VUs may send. Latest-value fan-out from the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    Running,
    Paused,
}

/// What every VU shares (read-only).
pub struct VuShared {
    pub prepared: Arc<Prepared>,
    pub client: ClientConfig,
    pub think: ThinkTime,
    /// From the engine: pause/unpause. VUs only read it.
    pub run_state: watch::Receiver<RunState>,
    /// Hard stop: cancelled when `graceful_stop` runs out or the user forces quit;
    /// in-flight requests are dropped unrecorded.
    pub abort: CancellationToken,
    /// To the aggregator; each VU's recorder holds a clone.
    pub batches: mpsc::Sender<Batch>,
    /// Base seed; each VU mixes in its id.
    pub seed: u64,
    /// Where VU tasks are spawned (per-core threads or the shared runtime).
    pub workers: crate::engine::workers::VuWorkers,
    /// `-n`: the total to send, split across the VUs.
    pub budget: Option<RequestBudget>,
}

/// `-n N` with `V` VUs: VU `i` sends `N / V`, the first `N % V` one more, so the
/// shares add up to exactly `N`. VUs added later (ids from `V`) get none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestBudget {
    pub total: u64,
    pub vus: u32,
}

impl RequestBudget {
    /// VU `id`'s share.
    pub fn share(self, id: u64) -> u64 {
        let vus = u64::from(self.vus.max(1));
        if id >= vus {
            return 0;
        }
        self.total / vus + u64::from(id < self.total % vus)
    }
}

/// The pause before a VU's next request after its connection failed (connect, DNS,
/// TLS, or a protocol error with no valid response, which drops the connection too):
/// 50 ms, doubling to 1 s, reset by any request that got through. Real clients back
/// off; without it a VU with no think time would open thousands of failing
/// connections a second against a target that is down or hangs up on every request.
/// A response with a bad status (`HTTP/1.1 999`, also `protocol`) keeps its
/// connection, so it does not back off.
#[derive(Debug, Default)]
struct ConnectBackoff {
    next: Option<Duration>,
}

impl ConnectBackoff {
    const FIRST: Duration = Duration::from_millis(50);
    const MAX: Duration = Duration::from_secs(1);

    /// `status` is the response's, 0 when none arrived.
    fn after(&mut self, class: OutcomeClass, status: u16) -> Option<Duration> {
        let lost_connection = match class {
            OutcomeClass::Connect | OutcomeClass::Dns | OutcomeClass::Tls => true,
            OutcomeClass::Protocol => status == 0,
            _ => false,
        };
        if lost_connection {
            let pause = self.next.unwrap_or(Self::FIRST);
            self.next = Some((pause * 2).min(Self::MAX));
            Some(pause)
        } else {
            self.next = None;
            None
        }
    }
}

/// What one VU owns while it runs: its connection, recorder, journey state and
/// random source.
struct VuState {
    client: VuClient,
    recorder: LocalRecorder,
    vu: VuJourney,
    rng: SmallRng,
    prepared: Arc<Prepared>,
}

impl VuState {
    /// VU `id`'s connection, journey state and random source (its seed mixes in
    /// the id), recording through `recorder`. `id` counts this process's VUs;
    /// the VU goes by its run-wide id (the same with no `--segment`), so personas,
    /// `per-vu` rows and seeds differ between agents running other segments.
    fn new(id: u64, shared: &VuShared, recorder: LocalRecorder) -> VuState {
        let prepared = shared.prepared.clone();
        let id = prepared.segment.global_index(id);
        VuState {
            client: VuClient::new(shared.client.clone(), prepared.clone()),
            recorder,
            vu: VuJourney::new(id, &prepared),
            rng: SmallRng::seed_from_u64(shared.seed ^ id.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            prepared,
        }
    }

    fn step_cx(&mut self) -> StepCx<'_> {
        StepCx {
            client: &mut self.client,
            recorder: &mut self.recorder,
            prepared: &self.prepared,
            vu: &mut self.vu,
            rng: &mut self.rng,
        }
    }

    /// The persona's setup steps; false when one failed.
    async fn setup(&mut self) -> bool {
        Box::pin(journey::run_setup(&mut self.step_cx())).await
    }

    /// One pick by weight, sent and recorded. False when a flow was cut short by
    /// `retire` and the VU should stop.
    async fn iterate(&mut self, choice: Choice, plain: bool, retire: &CancellationToken) -> bool {
        match choice {
            // The fast path: a prepared request, no rendering, no journey state.
            Choice::Request(index) if plain => {
                let prepared = &self.prepared;
                let mut executed = self.client.execute(prepared, index).await;
                record_executed(&mut self.recorder, prepared, index, &mut executed);
                true
            }
            // Journey steps and flows are boxed: their futures are large, and
            // inline they would size every VU's task, plain ones included.
            Choice::Request(index) => {
                Box::pin(journey::run_step(&mut self.step_cx(), index)).await;
                true
            }
            Choice::Flow(flow) => {
                Box::pin(journey::run_flow(&mut self.step_cx(), flow, retire)).await
            }
        }
    }
}

/// Sleeps `pause` unless the VU is retired or aborted first (then false).
async fn sleep_unless_stopped(
    pause: Duration,
    retired: &mut Pin<&mut WaitForCancellationFuture<'_>>,
    aborted: &mut Pin<&mut WaitForCancellationFuture<'_>>,
) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(pause) => true,
        _ = retired => false,
        _ = aborted => false,
    }
}

/// The think time before the next iteration, drawn uniformly from its range.
fn think_pause(think: ThinkTime, rng: &mut SmallRng) -> Duration {
    if think.min == think.max {
        think.min
    } else {
        rng.random_range(think.min..=think.max)
    }
}

/// Runs one VU until `retire` (graceful) or `shared.abort` (immediate).
/// `abort` is this VU's child of `shared.abort`. Retiring never interrupts a
/// request (it completes and is recorded); aborting drops it unrecorded.
pub async fn run_vu(
    id: u64,
    shared: Arc<VuShared>,
    retire: CancellationToken,
    abort: CancellationToken,
) {
    let prepared = shared.prepared.clone();
    let mut st = VuState::new(id, &shared, LocalRecorder::new(shared.batches.clone()));
    let mut run_state = shared.run_state.clone();
    let persona = &prepared.personas[st.vu.persona];
    let think = persona.persona.think_time.unwrap_or(shared.think);
    let total_weight = persona.total_weight();
    st.vu.next_row(&prepared, &mut st.rng, true);
    // Both stop signals are awaited through futures made once per VU: a fresh
    // `cancelled()` future per request would register with the token tree's shared
    // lock on every request.
    let aborted = abort.cancelled();
    let retired = retire.cancelled();
    tokio::pin!(aborted, retired);
    let mut backoff = ConnectBackoff::default();
    // `-n`: how many picks this VU may still make.
    // Shares are by run-wide id, so the agents of a split run send exactly N in all.
    let mut left = shared
        .budget
        .map(|b| b.share(prepared.segment.global_index(id)));
    'run: loop {
        while *run_state.borrow_and_update() == RunState::Paused {
            st.recorder.flush();
            tokio::select! {
                changed = run_state.changed() => if changed.is_err() { break 'run },
                _ = &mut retired => break 'run,
                _ = &mut aborted => break 'run,
            }
        }
        if retire.is_cancelled() || abort.is_cancelled() {
            break;
        }
        if !st.vu.setup_done {
            let ok = tokio::select! {
                ok = st.setup() => ok,
                _ = &mut aborted => break,
            };
            if !ok {
                // Back off rather than hammer a failing login.
                st.recorder.flush();
                let pause = st.vu.setup_backoff(&mut st.rng);
                st.vu.next_row(&prepared, &mut st.rng, false);
                if !sleep_unless_stopped(pause, &mut retired, &mut aborted).await {
                    break;
                }
                continue;
            }
        }
        match &mut left {
            Some(0) => break,
            Some(n) => *n -= 1,
            None => {}
        }
        st.vu.iteration += 1;
        if st.vu.iteration > 1 {
            st.vu.next_row(&prepared, &mut st.rng, false);
        }
        let choice = persona.pick(st.rng.random_range(0..total_weight));
        let go_on = tokio::select! {
            go_on = st.iterate(choice, persona.plain, &retire) => go_on,
            _ = &mut aborted => break,
        };
        if !go_on {
            break;
        }
        if !pause_after_iteration(&mut st, &mut backoff, think, &mut retired, &mut aborted).await {
            break;
        }
    }
    st.recorder.finish().await;
}

/// Between iterations: the connect backoff after a failure, then the think time.
/// Samples are handed over before sleeping so they land in the second they
/// happened. `false` when the VU was retired or aborted meanwhile.
async fn pause_after_iteration(
    st: &mut VuState,
    backoff: &mut ConnectBackoff,
    think: ThinkTime,
    retired: &mut Pin<&mut WaitForCancellationFuture<'_>>,
    aborted: &mut Pin<&mut WaitForCancellationFuture<'_>>,
) -> bool {
    if let Some(pause) = backoff.after(st.recorder.last_class(), st.recorder.last_status()) {
        st.recorder.flush();
        if !sleep_unless_stopped(pause, retired, aborted).await {
            return false;
        }
    }
    if think.max.is_zero() {
        st.recorder.maybe_flush();
        return true;
    }
    let pause = think_pause(think, &mut st.rng);
    if st.recorder.has_pending() {
        st.recorder.flush();
    }
    sleep_unless_stopped(pause, retired, aborted).await
}

/// One arrival of the open model handed to a VU: when the schedule meant it to start.
#[derive(Debug, Clone, Copy)]
pub struct Arrival {
    pub intended: Instant,
}

/// Runs one open-model VU: its setup, then one iteration per [`Arrival`] from the
/// dispatcher, telling it (`done`) each time it is free again. Think time does not
/// apply: the schedule decides when the next iteration starts. Ends when the
/// dispatcher closes the mailbox (after the in-flight iteration) or on `abort`.
pub async fn run_arrival_vu(
    id: u64,
    shared: Arc<VuShared>,
    mut mailbox: mpsc::Receiver<Arrival>,
    done: mpsc::UnboundedSender<usize>,
    announce_ready: bool,
    abort: CancellationToken,
) {
    let prepared = shared.prepared.clone();
    let mut st = VuState::new(
        id,
        &shared,
        LocalRecorder::open_model(shared.batches.clone()),
    );
    let persona = &prepared.personas[st.vu.persona];
    let total_weight = persona.total_weight();
    st.vu.next_row(&prepared, &mut st.rng, true);
    let aborted = abort.cancelled();
    tokio::pin!(aborted);
    // Never cancelled: an open-model flow is cut short only by `abort`.
    let retire = CancellationToken::new();
    let slot = id as usize;
    'run: {
        while !st.vu.setup_done {
            let ok = tokio::select! {
                ok = st.setup() => ok,
                _ = &mut aborted => break 'run,
            };
            if !ok {
                st.recorder.flush();
                let pause = st.vu.setup_backoff(&mut st.rng);
                st.vu.next_row(&prepared, &mut st.rng, false);
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = &mut aborted => break 'run,
                }
            }
        }
        if announce_ready && done.send(slot).is_err() {
            break 'run;
        }
        loop {
            // An idle VU hands its samples over within a flush interval, so they
            // land in the second they happened.
            let pending = st.recorder.has_pending();
            let arrival = tokio::select! {
                arrival = mailbox.recv() => arrival,
                _ = tokio::time::sleep(crate::metrics::recorder::FLUSH_INTERVAL), if pending => {
                    st.recorder.flush();
                    continue;
                }
                _ = &mut aborted => break,
            };
            let Some(arrival) = arrival else { break };
            st.vu.iteration += 1;
            if st.vu.iteration > 1 {
                st.vu.next_row(&prepared, &mut st.rng, false);
            }
            st.recorder
                .begin_arrival(Instant::now().saturating_duration_since(arrival.intended));
            let choice = persona.pick(st.rng.random_range(0..total_weight));
            tokio::select! {
                _ = st.iterate(choice, persona.plain, &retire) => {}
                _ = &mut aborted => break,
            }
            st.recorder.maybe_flush();
            if done.send(slot).is_err() {
                break;
            }
        }
    }
    st.recorder.finish().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The state a VU task keeps between requests is its whole per-VU footprint
    /// besides its connection: 10,000 VUs must fit in about 100 MB.
    #[test]
    fn a_vu_task_stays_small() {
        let profile =
            crate::profile::Profile::for_url("http://127.0.0.1:9/", Vec::new()).expect("a URL");
        let (_state_tx, run_state) = watch::channel(RunState::Running);
        let (batches, _rx) = mpsc::channel(1);
        let shared = Arc::new(VuShared {
            prepared: Prepared::new(&profile).expect("prepared"),
            client: ClientConfig::new(false, false).expect("TLS config"),
            think: ThinkTime::NONE,
            run_state,
            abort: CancellationToken::new(),
            batches,
            seed: 1,
            workers: crate::engine::workers::VuWorkers::shared(),
            budget: None,
        });
        let task = run_vu(
            0,
            shared,
            CancellationToken::new(),
            CancellationToken::new(),
        );
        let bytes = std::mem::size_of_val(&task);
        println!("a VU task's future: {bytes} bytes");
        assert!(bytes <= 4096, "a VU task's future is {bytes} bytes");
    }

    #[test]
    fn request_budget_shares_add_up_exactly() {
        let b = RequestBudget { total: 10, vus: 4 };
        let shares: Vec<u64> = (0..5).map(|id| b.share(id)).collect();
        assert_eq!(shares, vec![3, 3, 2, 2, 0]);
        let few = RequestBudget { total: 2, vus: 3 };
        assert_eq!((0..3).map(|id| few.share(id)).sum::<u64>(), 2);
    }

    #[test]
    fn connect_failures_back_off_and_success_resets() {
        let mut b = ConnectBackoff::default();
        let ms = |d: Option<Duration>| d.map(|d| d.as_millis());
        assert_eq!(ms(b.after(OutcomeClass::Connect, 0)), Some(50));
        assert_eq!(ms(b.after(OutcomeClass::Dns, 0)), Some(100));
        for _ in 0..10 {
            b.after(OutcomeClass::Tls, 0);
        }
        assert_eq!(ms(b.after(OutcomeClass::Connect, 0)), Some(1000));
        // An HTTP error means the connection worked: no backoff.
        assert_eq!(b.after(OutcomeClass::S500, 500), None);
        assert_eq!(ms(b.after(OutcomeClass::Connect, 0)), Some(50));
    }

    #[test]
    fn protocol_errors_without_a_response_back_off() {
        let mut b = ConnectBackoff::default();
        let ms = |d: Option<Duration>| d.map(|d| d.as_millis());
        assert_eq!(ms(b.after(OutcomeClass::Protocol, 0)), Some(50));
        assert_eq!(ms(b.after(OutcomeClass::Protocol, 0)), Some(100));
        // A bad status arrived on a working connection: no backoff, and it resets.
        assert_eq!(b.after(OutcomeClass::Protocol, 999), None);
        assert_eq!(ms(b.after(OutcomeClass::Protocol, 0)), Some(50));
    }
}
