//! `loadpilot find-limit`: a step search for the highest load the target sustains,
//! in VUs or in arrivals per second.
//!
//! The search is a schedule plus a judge. The schedule holds each level for
//! `hold` (a jump stage, then a hold stage, per step); the judge watches the run's
//! frames, and when a step's hold ends it reads that step's *second half* (the
//! first half is warm-up) from the aggregator's record: the seconds' histograms
//! merged exactly, their counts summed. A step passes when no `--until` condition
//! holds there; the first failing step stops the run (gracefully: in-flight
//! requests finish). Each verdict is logged as an annotation, so the dashboard's
//! event log and charts show the climb. Whatever front end runs it, the result is
//! the highest passing level, the failing step and the condition that failed it.

pub mod report;
pub mod until;

use std::ops::ControlFlow;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::command::Command;
use crate::metrics::aggregator::RunRecord;
use crate::metrics::dashboard::{Dashboard, RunMode};
use crate::metrics::scope::{DropReason, ScopeStats};
use crate::plan::{LoadModel, Stage};
use crate::session::SnapshotSaver;
pub use report::{FindLimitResult, StepResult};
use until::Condition;

/// What the search steps through and judges by.
#[derive(Debug, Clone)]
pub struct FinderConfig {
    pub model: LoadModel,
    pub start: u32,
    pub step: u32,
    pub max: u32,
    pub hold: Duration,
    pub until: Vec<Condition>,
    /// `--refine`: bisect between the last good and the first bad step.
    pub refine: bool,
}

impl FinderConfig {
    /// The levels tried: `start`, `start + step`, … up to `max`.
    pub fn levels(&self) -> Vec<u32> {
        let mut levels = Vec::new();
        let mut level = u64::from(self.start);
        while level <= u64::from(self.max) {
            levels.push(level as u32);
            level += u64::from(self.step.max(1));
        }
        levels
    }

    /// The `watch.NAME` metrics the conditions read, each once.
    pub fn watch_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for name in self.until.iter().filter_map(|c| c.threshold.watch.clone()) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }

    /// Each level as a jump and a hold, then a ramp down to zero (for a search
    /// that passes every step; one that stops early ramps down from where it is).
    pub fn stages(&self) -> Vec<Stage> {
        let ramp_down = Stage {
            duration: (self.hold / 2).min(MAX_RAMP_DOWN),
            target: 0,
        };
        self.levels()
            .into_iter()
            .flat_map(|target| {
                [
                    Stage {
                        duration: Duration::ZERO,
                        target,
                    },
                    Stage {
                        duration: self.hold,
                        target,
                    },
                ]
            })
            .chain([ramp_down])
            .collect()
    }
}

/// The seconds of one step's hold, as run time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepWindow {
    pub step: usize,
    pub level: u32,
    pub from: Duration,
    pub to: Duration,
}

impl StepWindow {
    /// The whole seconds of the window's second half (`t_s` from..to).
    fn judged_seconds(&self) -> (u32, u32) {
        let mid = self.from + (self.to.saturating_sub(self.from)) / 2;
        let end = (self.to.as_secs() as u32).max(1);
        let first = (mid.as_secs_f64().ceil() as u32).min(end);
        if first < end {
            (first, end)
        } else {
            // A short hold has no whole second in its second half: judge the
            // last second that ended within it.
            (end - 1, end)
        }
    }
}

/// Judges one step from the run's record.
pub fn judge(
    record: &RunRecord,
    window: StepWindow,
    until: &[Condition],
    baseline: &[Option<f64>],
) -> StepResult {
    let (first, end) = window.judged_seconds();
    let mut stats = ScopeStats::default();
    let mut seconds = 0u32;
    for t in first..end {
        let Some(row) = record.series.get(t as usize) else {
            continue;
        };
        seconds += 1;
        if let Some(hist) = record
            .second_histograms
            .get(t as usize)
            .and_then(|b| crate::metrics::hist_codec::decode(b).ok())
        {
            let _ = stats.hist.add(&hist);
        }
        for (a, b) in stats.classes.iter_mut().zip(row.classes) {
            *a += b;
        }
        // A row keeps only the total; the reasons are in the whole-run record.
        let mut dropped = [0; DropReason::COUNT];
        dropped[DropReason::NoVuFree.index()] = row.dropped;
        stats.add_arrivals(row.requests + row.dropped, &dropped);
    }
    let secs = f64::from(seconds.max(1));
    let span = (
        Duration::from_secs(first.into()),
        Duration::from_secs(end.into()),
    );
    let readings: Vec<Option<f64>> = until
        .iter()
        .map(|c| match c.stat().health() {
            // Target and loadpilot health: the same readings as thresholds, over the span.
            Some(metric) => {
                let watch = c.threshold.watch.as_deref();
                record.health.reading(metric, watch, span.0, span.1)
            }
            None => stats.reading(c.stat(), secs),
        })
        .collect();
    let failed = until
        .iter()
        .zip(&readings)
        .zip(baseline.iter().chain(std::iter::repeat(&None)))
        .find(|((c, r), b)| r.is_some_and(|v| c.holds(v, **b)))
        .map(|((c, r), _)| (c.text.clone(), r.unwrap_or(0.0), c.stat()));
    StepResult::new(window, &stats, secs, readings, failed)
}

/// At most this many extra steps `--refine` runs between the last good and the
/// first bad step (each halves the gap: a tenth of the step size after three,
/// and it stops early once the gap is one unit).
pub const MAX_REFINE_STEPS: usize = 3;

/// How long the load ramps down to zero once the search is over: half a hold,
/// at most this.
pub const MAX_RAMP_DOWN: Duration = Duration::from_secs(30);

/// What the search is doing, for the dashboard's steps pane: the steps judged
/// so far and the one running (its number, 1-based, and load). Published on a
/// `watch` by [`drive`]; the last value stays when the search ends.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchProgress {
    pub model: LoadModel,
    pub steps: Vec<StepResult>,
    pub current: Option<(usize, u32)>,
}

/// Watches the run and judges each step as its hold ends. At the first failing
/// step the climb ends; with `refine` the finder bisects between the last good
/// and the first bad level ([`MAX_REFINE_STEPS`] at most); then the load ramps
/// down to zero (over half a hold, at most [`MAX_RAMP_DOWN`]) and the run ends.
/// Returns the steps judged and the window of a step still running when the run
/// ended (judged by the caller from the final record).
pub async fn drive(
    config: FinderConfig,
    frames: watch::Receiver<std::sync::Arc<Dashboard>>,
    commands: mpsc::Sender<Command>,
    saver: SnapshotSaver,
    progress: watch::Sender<SearchProgress>,
) -> (Vec<StepResult>, Option<StepWindow>) {
    let mut search = Search {
        config,
        frames,
        commands,
        saver,
        progress,
        results: Vec::new(),
        baseline: Vec::new(),
    };
    if let ControlFlow::Break(pending) = search.climb().await {
        return (search.results, pending);
    }
    if search.config.refine
        && let ControlFlow::Break(pending) = search.refine().await
    {
        return (search.results, pending);
    }
    if search.results.iter().all(|r| r.failed.is_none()) {
        // Every level passed: the schedule's own last stage ramps down.
        return (search.results, None);
    }
    let over = (search.config.hold / 2).min(MAX_RAMP_DOWN);
    search
        .send(Command::RampTo {
            target: 0,
            over_ms: over.as_millis() as u64,
        })
        .await;
    (search.results, None)
}

/// The search's state while it runs.
struct Search {
    config: FinderConfig,
    frames: watch::Receiver<std::sync::Arc<Dashboard>>,
    commands: mpsc::Sender<Command>,
    saver: SnapshotSaver,
    progress: watch::Sender<SearchProgress>,
    results: Vec<StepResult>,
    /// The first step's readings, for `Nx baseline` conditions.
    baseline: Vec<Option<f64>>,
}

/// `Break(pending)`: the run ended during the search (with the window of the
/// step it ended in, if any); `Continue`: go on.
type Ended = ControlFlow<Option<StepWindow>>;

/// The run ended with no step in progress.
const RUN_ENDED: Ended = ControlFlow::Break(None);

impl Search {
    /// Steps up the schedule until a step fails or the levels run out.
    async fn climb(&mut self) -> Ended {
        let levels = self.config.levels();
        for (step, &level) in levels.iter().enumerate() {
            self.show_current(step, level);
            let hold_stage = 2 * step + 1;
            let Some(from) = wait_for_stage(&mut self.frames, |i| i >= hold_stage).await else {
                return RUN_ENDED;
            };
            let window = |to| StepWindow {
                step,
                level,
                from,
                to,
            };
            let Some(to) = wait_for_stage(&mut self.frames, |i| i > hold_stage).await else {
                // The run ended in this step (the last one, or stopped by the operator).
                let end = self.frames.borrow().elapsed;
                return ControlFlow::Break(Some(window(end)));
            };
            match self.judge_step(window(to)).await {
                Some(true) => {}
                Some(false) => return ControlFlow::Continue(()),
                None => return RUN_ENDED,
            }
        }
        ControlFlow::Continue(())
    }

    /// Bisects between the highest passing and the lowest failing level, each
    /// midpoint held for `hold` as a manual target.
    async fn refine(&mut self) -> Ended {
        for _ in 0..MAX_REFINE_STEPS {
            let good = self
                .results
                .iter()
                .filter(|r| r.failed.is_none())
                .map(|r| r.load)
                .max();
            let bad = self
                .results
                .iter()
                .filter(|r| r.failed.is_some())
                .map(|r| r.load)
                .min();
            let (Some(good), Some(bad)) = (good, bad) else {
                return ControlFlow::Continue(());
            };
            if bad <= good + 1 {
                return ControlFlow::Continue(());
            }
            let level = good + (bad - good) / 2;
            let step = self.results.len();
            self.show_current(step, level);
            self.send(Command::SetVus { vus: level }).await;
            let Some(from) = wait_for_frame(&mut self.frames, |d| d.vus_target == level).await
            else {
                return RUN_ENDED;
            };
            let to = from + self.config.hold;
            let Some(_) = wait_for_frame(&mut self.frames, |d| d.elapsed >= to).await else {
                let end = self.frames.borrow().elapsed;
                return ControlFlow::Break(Some(StepWindow {
                    step,
                    level,
                    from,
                    to: end,
                }));
            };
            let window = StepWindow {
                step,
                level,
                from,
                to,
            };
            if self.judge_step(window).await.is_none() {
                return RUN_ENDED;
            }
        }
        ControlFlow::Continue(())
    }

    /// Judges a step whose hold ended at `window.to`, logs the verdict and
    /// publishes it. `Some(passed)`, or `None` when the run ended first.
    async fn judge_step(&mut self, window: StepWindow) -> Option<bool> {
        // Let the step's last second close before reading it.
        wait_for_second(&mut self.frames, window.to.as_secs() as u32).await;
        let record = self.saver.record_now().await.ok()?;
        let result = judge(&record, window, &self.config.until, &self.baseline);
        if window.step == 0 {
            self.baseline = result.readings.clone();
        }
        let passed = result.failed.is_none();
        self.send(Command::Annotate {
            text: result.annotation(self.config.model),
        })
        .await;
        self.results.push(result);
        let steps = self.results.clone();
        self.progress.send_modify(|p| {
            p.steps = steps;
            p.current = None;
        });
        Some(passed)
    }

    fn show_current(&self, step: usize, level: u32) {
        let model = self.config.model;
        self.progress.send_modify(|p| {
            p.model = model;
            p.current = Some((step + 1, level));
        });
    }

    async fn send(&self, command: Command) {
        let _ = self.commands.send(command).await;
    }
}

/// Waits for a frame that satisfies `pred`; its run time, or `None` when the
/// run ended first.
async fn wait_for_frame(
    frames: &mut watch::Receiver<std::sync::Arc<Dashboard>>,
    pred: impl Fn(&Dashboard) -> bool,
) -> Option<Duration> {
    loop {
        {
            let d = frames.borrow_and_update();
            if matches!(d.mode, RunMode::Stopping | RunMode::Done) {
                return None;
            }
            if pred(&d) {
                return Some(d.elapsed);
            }
        }
        frames.changed().await.ok()?;
    }
}

/// Waits until the run's stage index satisfies `reached`; the run time then, or
/// `None` when the run ended first.
async fn wait_for_stage(
    frames: &mut watch::Receiver<std::sync::Arc<Dashboard>>,
    reached: impl Fn(usize) -> bool,
) -> Option<Duration> {
    wait_for_frame(frames, |d| reached(d.stage.index)).await
}

/// Waits until second `t_s` has closed (or the run ended).
async fn wait_for_second(frames: &mut watch::Receiver<std::sync::Arc<Dashboard>>, t_s: u32) {
    loop {
        if frames
            .borrow_and_update()
            .series
            .last()
            .is_some_and(|r| r.t_s + 1 >= t_s)
        {
            return;
        }
        if frames.changed().await.is_err() {
            return;
        }
    }
}
