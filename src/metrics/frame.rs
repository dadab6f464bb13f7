//! The frame builder: turns a run's figures into the [`Dashboard`] the widgets draw.
//! The live aggregator and the snapshot viewer's replay (`ui::replay`) both build
//! their frames here, so a saved run shows what it showed live: the same sparkline
//! length, log tail, error-class table, request rows and threshold badges.
//!
//! Callers supply what only they know (the time shown, engine status, memory, the
//! series up to that time and the totals over it); the builder derives the rest.

use std::sync::Arc;
use std::time::Duration;

use crate::metrics::dashboard::{
    ClassStat, Dashboard, LogEntry, Percentiles, RequestStat, SecondRow, Series, SystemStatus,
    ThresholdStatus, WindowLatency,
};
use crate::metrics::record::StatusCounts;
use crate::metrics::scope::ScopeStats;
use crate::metrics::summary_types::RunTables;
use crate::outcome::OutcomeClass;
use crate::threshold::{Threshold, Verdict, latency_limits};
use crate::vocab::{EngineStatus, LatencyBasis};

/// Seconds of class counts in each error sparkline.
pub const TREND_SECS: usize = 60;
/// Event-log entries carried in each frame.
pub const LOG_TAIL: usize = 200;

/// The counts a frame shows: over the whole run so far live, up to the cursor in a
/// replay.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FrameTotals {
    pub requests: u64,
    /// Requests by [`OutcomeClass`] index.
    pub classes: [u64; OutcomeClass::COUNT],
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub latency: Percentiles,
    /// Highest requests per second of any second.
    pub rps_peak: f64,
    /// Service time, when `latency` measures from intended start or is corrected.
    pub service: Option<Percentiles>,
    /// Open model: arrivals dropped.
    pub dropped: u64,
}

/// Everything a frame is built from.
pub struct FrameInput<'a> {
    pub profile_name: &'a str,
    pub target: &'a str,
    /// The run time the frame shows.
    pub elapsed: Duration,
    /// Mode, stage, VUs and planned length, as the engine reported them.
    pub engine: EngineStatus,
    pub memory: SystemStatus,
    /// The closed seconds up to the frame's time; its last row gives the current
    /// rates.
    pub series: Series,
    pub totals: FrameTotals,
    /// Latency over the charts' windows.
    pub window_latency: WindowLatency,
    /// Per class index: status codes seen with their counts, and the last message.
    pub by_status: &'a [StatusCounts],
    pub last_message: &'a [Option<String>],
    pub request_stats: Vec<RequestStat>,
    /// The thresholds (for the chart's limit lines) and their states.
    pub thresholds: &'a [Threshold],
    pub threshold_status: Vec<ThresholdStatus>,
    /// The event-log entries up to the frame's time (see [`log_tail`]).
    pub log: Vec<LogEntry>,
    /// What the latency figures measure.
    pub latency_basis: LatencyBasis,
    /// The stages and journeys panes' rows (see [`crate::metrics::run_tables`]).
    pub tables: Arc<RunTables>,
}

/// The frame.
pub fn build(input: FrameInput<'_>) -> Dashboard {
    let last = input.series.last().copied().unwrap_or_default();
    let error_classes = error_classes(
        &input.series,
        &last,
        &input.totals,
        input.by_status,
        input.last_message,
    );
    let t = input.totals;
    Dashboard {
        profile_name: input.profile_name.to_string(),
        target: input.target.to_string(),
        elapsed: input.elapsed,
        planned: input.engine.planned,
        stage: input.engine.stage,
        mode: input.engine.mode,
        vus_active: input.engine.vus_active,
        vus_target: input.engine.vus_target,
        series: input.series,
        requests: t.requests,
        classes: t.classes,
        bytes_in: t.bytes_in,
        bytes_out: t.bytes_out,
        latency: t.latency,
        service_latency: t.service,
        window_latency: input.window_latency,
        latency_basis: input.latency_basis,
        model: input.engine.model,
        dropped: t.dropped,
        rps_now: last.requests as f64,
        rps_peak: t.rps_peak,
        error_classes,
        request_stats: input.request_stats,
        thresholds: input.threshold_status,
        latency_limits_ms: latency_limits(input.thresholds),
        memory: input.memory,
        log: input.log,
        tables: input.tables,
        segment: None,
        starts_in: None,
    }
}

/// One row per error class: totals, the last second's count, the trend over the
/// last [`TREND_SECS`] rows, status codes and last message.
fn error_classes(
    series: &Series,
    last: &SecondRow,
    totals: &FrameTotals,
    by_status: &[StatusCounts],
    last_message: &[Option<String>],
) -> Vec<ClassStat> {
    // Newest first; each trend reverses it back to oldest first.
    let recent: Vec<&SecondRow> = series.iter().rev().take(TREND_SECS).collect();
    OutcomeClass::errors()
        .map(|class| {
            let i = class.index();
            let count = totals.classes[i];
            ClassStat {
                class,
                count,
                per_sec: last.classes[i],
                share: if totals.requests == 0 {
                    0.0
                } else {
                    count as f64 / totals.requests as f64
                },
                trend: recent.iter().rev().map(|r| r.classes[i]).collect(),
                // Snapshots from before a class existed keep shorter vectors.
                by_status: by_status.get(i).cloned().unwrap_or_default(),
                last_message: last_message.get(i).cloned().flatten(),
            }
        })
        .collect()
}

/// The newest [`LOG_TAIL`] of `entries` (in order), for a frame.
pub fn log_tail<'a>(entries: impl DoubleEndedIterator<Item = &'a LogEntry>) -> Vec<LogEntry> {
    let mut tail: Vec<LogEntry> = entries.rev().take(LOG_TAIL).cloned().collect();
    tail.reverse();
    tail
}

/// A request's row: totals and percentiles from its scope; `rps` and the worst
/// verdict among the thresholds naming it as the caller reads them.
pub fn request_stat(
    name: &str,
    stats: &ScopeStats,
    rps: f64,
    threshold: Option<Verdict>,
) -> RequestStat {
    RequestStat {
        name: name.to_string(),
        count: stats.requests(),
        errors: stats.errors(),
        rps,
        latency: stats.percentiles(),
        threshold,
    }
}

/// A threshold's badges: the whole-run verdict as the caller keeps it, the recent
/// one judged from `recent` (a reading is `None` when its scope recorded nothing).
pub fn threshold_status(
    t: &Threshold,
    run: Verdict,
    run_value: Option<f64>,
    recent: Option<f64>,
) -> ThresholdStatus {
    ThresholdStatus {
        expr: t.expr.clone(),
        run,
        run_value: run_value.unwrap_or(0.0),
        recent: t.verdict(recent),
        recent_value: recent.unwrap_or(0.0),
    }
}
