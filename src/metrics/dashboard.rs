//! The immutable frame the aggregator publishes (every 250 ms) on a
//! `watch<Arc<Dashboard>>` (built by [`crate::metrics::frame`]). The UI and the
//! headless progress line read plain numbers from it and never compute statistics:
//! a chart finds its time window in the series by binary search
//! ([`Series::since`]) and thins the rows in it to its width, so drawing a window
//! costs the same at any request rate and run length (the whole-run window grows
//! with the run, by one row a second).

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::outcome::OutcomeClass;
pub use crate::threshold::Verdict;
pub use crate::vocab::{LogEntry, LogKind, RunMode, StageStatus};

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Percentiles {
    pub p50_us: u64,
    pub p90_us: u64,
    pub p95_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

/// The charts' time windows in seconds (1, 5 and 15 minutes), shortest first.
pub const CHART_WINDOWS_S: [u32; 3] = [60, 300, 900];

/// Latency over each window a chart can show, so the latency pane's title reads
/// the window its chart draws (never one second next to a five-minute chart).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WindowLatency {
    /// The whole run; a saved run's is all of it, wherever the viewer's cursor is
    /// (its whole-run chart spans the saved run).
    pub run: Percentiles,
    /// Service time over the whole run, when the run keeps it beside `run`.
    pub run_service: Option<Percentiles>,
    /// Per [`CHART_WINDOWS_S`] entry: the last that many closed seconds up to the
    /// frame's newest row, merged exactly from the seconds' histograms.
    pub last: [Percentiles; 3],
}

/// One closed second of the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SecondRow {
    /// Seconds since the run started (this row covers `[t_s, t_s + 1)`).
    pub t_s: u32,
    pub requests: u64,
    /// Requests by [`OutcomeClass`] index (`classes[0]` counts successes). Reads
    /// shorter arrays (snapshots from before a class was added) padded with zeros.
    #[serde(deserialize_with = "classes_padded")]
    pub classes: [u64; OutcomeClass::COUNT],
    /// The latency everything reads (see [`crate::vocab::LatencyBasis`]).
    pub latency: Percentiles,
    /// Service time when it differs from `latency` (open model, corrected runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<Percentiles>,
    /// Open model: arrivals dropped in this second.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropped: u64,
    /// Active VUs at the end of the second.
    pub vus: u32,
    /// The schedule's target at the end of the second.
    pub target_vus: u32,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Host memory used, bytes (0 when not sampled).
    pub host_mem_used: u64,
    /// Host memory in all, bytes (0 when not sampled; absent in older snapshots).
    #[serde(default)]
    pub host_mem_total: u64,
    /// The watched target process's resident memory, bytes (0 when not watched).
    pub target_rss: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Per-class counts, padded with zeros when written before newer classes existed.
fn classes_padded<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<[u64; OutcomeClass::COUNT], D::Error> {
    let counts = Vec::<u64>::deserialize(d)?;
    if counts.len() > OutcomeClass::COUNT {
        return Err(serde::de::Error::custom(format!(
            "{} outcome classes, this version knows {}",
            counts.len(),
            OutcomeClass::COUNT
        )));
    }
    let mut out = [0; OutcomeClass::COUNT];
    out[..counts.len()].copy_from_slice(&counts);
    Ok(out)
}

impl SecondRow {
    pub fn errors(&self) -> u64 {
        self.requests - self.classes[OutcomeClass::Ok.index()]
    }
}

/// The per-second series, shared cheaply: closed chunks are `Arc`s that every
/// frame reuses; only the newest, open chunk is copied.
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub chunks: Vec<Arc<[SecondRow]>>,
}

impl Series {
    pub fn len(&self) -> usize {
        self.chunks.iter().map(|c| c.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.iter().all(|c| c.is_empty())
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &SecondRow> + '_ {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    pub fn last(&self) -> Option<&SecondRow> {
        self.chunks.iter().rev().find_map(|c| c.last())
    }

    /// Rows with `t_s >= from_s`. Rows are in time order, so the first one is found
    /// by binary search (over the chunks, then inside one) and a chart's window
    /// costs the rows it shows, not the run's length.
    pub fn since(&self, from_s: u32) -> impl Iterator<Item = &SecondRow> + '_ {
        let first = self
            .chunks
            .partition_point(|c| c.last().is_some_and(|r| r.t_s < from_s));
        let rest = &self.chunks[first..];
        let (head, tail): (&[SecondRow], _) = match rest.split_first() {
            Some((chunk, tail)) => (&chunk[chunk.partition_point(|r| r.t_s < from_s)..], tail),
            None => (&[], rest),
        };
        // `skip_while` only guards against an empty chunk before the window.
        std::iter::once(head)
            .chain(tail.iter().map(|c| &c[..]))
            .flat_map(|c| c.iter())
            .skip_while(move |r| r.t_s < from_s)
    }
}

/// One error class's totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassStat {
    pub class: OutcomeClass,
    pub count: u64,
    /// Count in the last closed second.
    pub per_sec: u64,
    /// Share of all requests (0..=1).
    pub share: f64,
    /// Counts per second over the last 60 s, oldest first (for a sparkline).
    pub trend: Vec<u64>,
    /// Status codes seen for this class with their counts (4xx/5xx by code).
    pub by_status: Vec<(u16, u64)>,
    /// The last error message seen.
    pub last_message: Option<String>,
}

/// One named request's totals over the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestStat {
    pub name: String,
    pub count: u64,
    pub errors: u64,
    /// Requests per second over the last closed second.
    pub rps: f64,
    pub latency: Percentiles,
    /// Worst threshold state among the thresholds naming this request.
    pub threshold: Option<Verdict>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdStatus {
    pub expr: String,
    /// Over the whole run so far.
    pub run: Verdict,
    pub run_value: f64,
    /// Over the last 30 s.
    pub recent: Verdict,
    pub recent_value: f64,
}

/// At most this many `watch.NAME` metrics are read from `--watch-url` (a fixed
/// array keeps [`SystemStatus`] a plain copyable value).
pub const MAX_WATCHED: usize = 8;

/// The host's and the watched target's memory, CPU and load, and the loader's own
/// event-loop lag, sampled every second by `sysmon`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SystemStatus {
    pub host_total: u64,
    pub host_used: u64,
    pub host_available: u64,
    pub swap_total: u64,
    pub swap_used: u64,
    /// 1, 5 and 15 minute load averages.
    pub load_avg: [f64; 3],
    /// The watched target's resident memory, bytes, and CPU % (100 = one core).
    pub target_rss: Option<u64>,
    pub target_cpu_pct: Option<f64>,
    /// The memory the target may use: its cgroup's limit (pid only), when it has one.
    #[serde(default)]
    pub target_mem_limit: Option<u64>,
    /// `watch.NAME` values read from `--watch-url`, in the order the names were given.
    #[serde(default)]
    pub watch: [Option<f64>; MAX_WATCHED],
    /// loadpilot's own resident memory, bytes, and CPU %.
    pub self_rss: u64,
    pub self_cpu_pct: f64,
    /// How late the runtime's 100 ms tick fired, a sign loadpilot itself is saturated.
    pub scheduler_lag_ms: f64,
}

/// Everything one frame shows.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub profile_name: String,
    pub target: String,
    pub elapsed: Duration,
    /// Scheduled length (stages, or the `--duration` cap); `None` when open-ended.
    pub planned: Option<Duration>,
    pub stage: StageStatus,
    pub mode: RunMode,
    pub vus_active: u32,
    pub vus_target: u32,
    pub series: Series,
    /// Totals over the whole run. `classes[0]` counts successes.
    pub requests: u64,
    pub classes: [u64; OutcomeClass::COUNT],
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Whole-run latency percentiles (see `latency_basis`).
    pub latency: Percentiles,
    /// Whole-run service time, when `latency` measures something else.
    pub service_latency: Option<Percentiles>,
    /// Latency over the charts' windows (the latency pane's title).
    pub window_latency: WindowLatency,
    /// What `latency` (and the series' latency) measures.
    pub latency_basis: crate::vocab::LatencyBasis,
    /// What `vus_target` counts: VUs, or arrivals per second.
    pub model: crate::plan::LoadModel,
    /// Open model: arrivals dropped so far.
    pub dropped: u64,
    /// Requests per second in the last closed second, and the peak so far.
    pub rps_now: f64,
    pub rps_peak: f64,
    pub error_classes: Vec<ClassStat>,
    pub request_stats: Vec<RequestStat>,
    pub thresholds: Vec<ThresholdStatus>,
    /// Limits of latency thresholds, for drawing threshold lines: (label, ms).
    pub latency_limits_ms: Vec<(String, f64)>,
    pub memory: SystemStatus,
    /// The newest event-log entries (up to 200), oldest first.
    pub log: Vec<LogEntry>,
    /// Per-stage rows, recoveries and journeys (the stages and journeys panes);
    /// rebuilt once a second live, shared by the frames in between.
    pub tables: Arc<crate::metrics::summary_types::RunTables>,
    /// `--segment`: this process runs that part of a split run (VU figures are
    /// its own part; the header says `segment 3/8`).
    pub segment: Option<crate::segment::Segment>,
    /// Time left before an agreed start (`--start-at`); `None` once running.
    pub starts_in: Option<Duration>,
}

impl Dashboard {
    /// An empty frame before any data arrived.
    pub fn empty(profile_name: &str, target: &str) -> Dashboard {
        Dashboard {
            profile_name: profile_name.into(),
            target: target.into(),
            elapsed: Duration::ZERO,
            planned: None,
            stage: StageStatus::default(),
            mode: RunMode::Ramping,
            vus_active: 0,
            vus_target: 0,
            series: Series::default(),
            requests: 0,
            classes: [0; OutcomeClass::COUNT],
            bytes_in: 0,
            bytes_out: 0,
            latency: Percentiles::default(),
            service_latency: None,
            window_latency: WindowLatency::default(),
            latency_basis: Default::default(),
            model: Default::default(),
            dropped: 0,
            rps_now: 0.0,
            rps_peak: 0.0,
            error_classes: Vec::new(),
            request_stats: Vec::new(),
            thresholds: Vec::new(),
            latency_limits_ms: Vec::new(),
            memory: SystemStatus::default(),
            log: Vec::new(),
            tables: Arc::default(),
            segment: None,
            starts_in: None,
        }
    }

    pub fn errors(&self) -> u64 {
        self.requests - self.classes[OutcomeClass::Ok.index()]
    }

    pub fn error_rate(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.errors() as f64 / self.requests as f64
        }
    }
}
