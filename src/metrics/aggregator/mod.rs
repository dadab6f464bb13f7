//! The aggregator task: the one owner of histograms, counters and the per-second
//! series. It folds VU [`Batch`]es and [`EngineEvent`]s, closes a
//! [`SecondRow`](crate::metrics::dashboard::SecondRow) each second, publishes a
//! [`Dashboard`] every [`PUBLISH_INTERVAL`], and when every sender is gone (the run
//! is over) returns the final [`RunRecord`].
//!
//! Split by job: this file is the task (channels, the publish tick, the wall
//! clock); [`Aggregator`] (in `fold.rs`) is the fold, which never reads a clock
//! itself: the task tells it the run time (`set_time`, `advance_clock`), so tests
//! fold fixed batches second by second; `publish.rs` turns its state into a frame
//! through [`crate::metrics::frame`], the builder the snapshot viewer shares.

mod fold;
mod publish;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use crate::metrics::dashboard::{Dashboard, SystemStatus};
use crate::metrics::journey::JourneyConfig;
use crate::metrics::recorder::Batch;
use crate::threshold::Threshold;
use crate::vocab::EngineEvent;

pub use crate::metrics::record::{ActionRecord, RunRecord};
pub use fold::Aggregator;

/// How often a frame is published.
pub const PUBLISH_INTERVAL: Duration = Duration::from_millis(250);
/// The window of the "recent" threshold badges.
pub const RECENT_WINDOW_SECS: usize = 30;

/// What the aggregator is told at start.
#[derive(Debug, Clone)]
pub struct AggregatorConfig {
    pub profile_name: String,
    pub target: String,
    pub request_names: Vec<String>,
    pub thresholds: Vec<Threshold>,
    /// Stop the run (cancel `stop`) as soon as a threshold fails.
    pub abort_on_fail: bool,
    /// When the run started; shared with the engine so times agree.
    pub start: Instant,
    /// Flow, metric, check and persona names (journeys work).
    pub journey: JourneyConfig,
    /// The same instant on the wall clock, for snapshots and reports.
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// Hides secrets in error messages and log lines (see [`crate::redact`]).
    pub redactor: Arc<crate::redact::Redactor>,
    /// What the latency histograms measure (the load model, `--expected-interval`).
    pub latency: crate::vocab::LatencyBasis,
    /// The stages' names (index = stage; `None`: unnamed), for stage-scoped thresholds.
    pub stage_names: Vec<Option<String>>,
    /// The schedule (per-stage results, recovery after a drop in load).
    pub stages: Vec<crate::plan::Stage>,
    /// The `watch.NAME` metrics sysmon reads, in the order of `SystemStatus::watch`.
    pub watch_names: Vec<String>,
    /// `--segment`: the part of a split run this process runs (shown in the header).
    pub segment: Option<crate::segment::Segment>,
}

/// The aggregator's inputs and outputs.
pub struct AggregatorChannels {
    /// From every VU's recorder; closes when the engine and all VUs have ended.
    pub batches: mpsc::Receiver<Batch>,
    /// From the engine; closes when the engine ends.
    pub events: mpsc::Receiver<EngineEvent>,
    /// Newest sample from `sysmon` (a dropped sender just freezes the figures).
    pub memory: watch::Receiver<SystemStatus>,
    /// To the UI / headless progress; receivers see only the newest frame.
    pub publish: watch::Sender<Arc<Dashboard>>,
    /// Cancelled by the aggregator when `abort_on_fail` is set and a threshold fails;
    /// the engine treats it as a graceful stop.
    pub stop: CancellationToken,
    /// Mid-run snapshot requests: the aggregator replies with a copy of its state.
    /// Senders: the snapshot saver. Ends when every sender is dropped.
    pub snapshots: mpsc::Receiver<oneshot::Sender<RunRecord>>,
}

/// Starts the aggregator task.
pub fn spawn(
    config: AggregatorConfig,
    channels: AggregatorChannels,
) -> tokio::task::JoinHandle<RunRecord> {
    let start = config.start;
    tokio::spawn(run(Aggregator::new(config), start, channels))
}

/// Runs until the batch and event channels have both closed. Every input is
/// stamped with the run time since `start` before it is folded.
async fn run(mut agg: Aggregator, start: Instant, mut ch: AggregatorChannels) -> RunRecord {
    let mut tick = tokio::time::interval(PUBLISH_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (mut batches_open, mut events_open, mut snapshots_open) = (true, true, true);
    while batches_open || events_open {
        tokio::select! {
            request = ch.snapshots.recv(), if snapshots_open => match request {
                Some(reply) => {
                    agg.set_time(start.elapsed());
                    let _ = reply.send(agg.record_now());
                }
                None => snapshots_open = false,
            },
            batch = ch.batches.recv(), if batches_open => match batch {
                Some(batch) => {
                    agg.set_time(start.elapsed());
                    agg.fold(&batch);
                }
                None => batches_open = false,
            },
            event = ch.events.recv(), if events_open => match event {
                Some(event) => {
                    agg.set_time(start.elapsed());
                    agg.apply_event(event);
                }
                None => events_open = false,
            },
            _ = tick.tick() => {
                // A new system sample is also a health sample (thresholds on `target.*`).
                let fresh = ch.memory.has_changed().unwrap_or(false);
                let status = *ch.memory.borrow_and_update();
                agg.set_memory(status);
                if fresh {
                    agg.record_health(&status);
                }
                agg.advance_clock(start.elapsed());
                if agg.abort_if_failed() {
                    ch.stop.cancel();
                }
                let mut frame = agg.frame();
                // Before an agreed start (`--start-at`) the header counts down.
                frame.starts_in = start
                    .checked_duration_since(Instant::now())
                    .filter(|left| !left.is_zero());
                ch.publish.send_replace(Arc::new(frame));
            }
        }
    }
    let record = agg.finish(start.elapsed());
    ch.publish.send_replace(record.last_frame.clone());
    record
}
