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

    /// Each level as a jump and a hold.
    pub fn stages(&self) -> Vec<Stage> {
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

/// Watches the run and judges each step as its hold ends; stops the run at the
/// first failing step. Returns the steps judged and the window of a step still
/// running when the run ended (judged by the caller from the final record).
pub async fn drive(
    config: FinderConfig,
    mut frames: watch::Receiver<std::sync::Arc<Dashboard>>,
    commands: mpsc::Sender<Command>,
    saver: SnapshotSaver,
) -> (Vec<StepResult>, Option<StepWindow>) {
    let levels = config.levels();
    let mut results: Vec<StepResult> = Vec::new();
    let mut baseline: Vec<Option<f64>> = Vec::new();
    for (step, &level) in levels.iter().enumerate() {
        let hold_stage = 2 * step + 1;
        let Some(from) = wait_for_stage(&mut frames, |i| i >= hold_stage).await else {
            return (results, None);
        };
        let window = |to| StepWindow {
            step,
            level,
            from,
            to,
        };
        let Some(to) = wait_for_stage(&mut frames, |i| i > hold_stage).await else {
            // The run ended in this step (the last one, or stopped by the operator).
            let end = frames.borrow().elapsed;
            return (results, Some(window(end)));
        };
        // Let the step's last second close before reading it.
        let closed = to.as_secs() as u32;
        wait_for_second(&mut frames, closed).await;
        let Ok(record) = saver.record_now().await else {
            return (results, Some(window(to)));
        };
        let result = judge(&record, window(to), &config.until, &baseline);
        if step == 0 {
            baseline = result.readings.clone();
        }
        let failed = result.failed.is_some();
        let _ = commands
            .send(Command::Annotate {
                text: result.annotation(config.model),
            })
            .await;
        results.push(result);
        if failed {
            let _ = commands.send(Command::Stop).await;
            break;
        }
    }
    (results, None)
}

/// Waits until the run's stage index satisfies `reached`; the run time then, or
/// `None` when the run ended first.
async fn wait_for_stage(
    frames: &mut watch::Receiver<std::sync::Arc<Dashboard>>,
    reached: impl Fn(usize) -> bool,
) -> Option<Duration> {
    loop {
        {
            let d = frames.borrow_and_update();
            if matches!(d.mode, RunMode::Stopping | RunMode::Done) {
                return None;
            }
            if reached(d.stage.index) {
                return Some(d.elapsed);
            }
        }
        frames.changed().await.ok()?;
    }
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
