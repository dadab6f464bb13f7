//! The rows summaries and the dashboard's journeys and stages panes show, as
//! plain data with no code: the frame ([`crate::metrics::dashboard::Dashboard`])
//! carries them, so they sit below every module that builds them
//! (`stage_summary`, `journey_summary`, `recovery`, `run_tables`).

use std::collections::BTreeMap;

use serde::Serialize;

/// What the journeys and stages panes draw, built by `run_tables`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunTables {
    /// One row per stage reached.
    pub stages: Vec<StageSummary>,
    /// Each drop in load and the seconds until the target was healthy again.
    pub recoveries: Vec<Recovery>,
    /// `None` for profiles without flows, checks, custom metrics or personas.
    pub journey: Option<JourneySummary>,
}

/// Latency and counts of one scope, in milliseconds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScopeSummary {
    pub count: u64,
    pub errors: u64,
    pub error_rate: f64,
    pub rps: f64,
    pub min_ms: f64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Requests by class label (`ok`, `429`, `timeout`, …), classes with none left out.
    pub classes: BTreeMap<String, u64>,
}

/// One stage's results.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StageSummary {
    /// 1-based.
    pub stage: usize,
    /// The stage's name, or `stage N`.
    pub name: String,
    /// The run time the stage covered, seconds.
    pub from_s: f64,
    pub to_s: f64,
    /// The stage's target in the run's unit (VUs, or arrivals per second).
    pub target: Option<u32>,
    /// Open model: arrivals dropped during the stage.
    pub dropped: u64,
    #[serde(flatten)]
    pub stats: ScopeSummary,
}

/// What the target recovers from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// A stage lowered the load.
    LoadDrop,
    /// A sliding-window threshold (`p95_1m < 1s`) failed.
    FailingWindow,
}

/// One drop in load, or one failing window, and how long the target took to
/// recover from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recovery {
    pub cause: Cause,
    /// The failing window's threshold (`p95_1m < 1s`); only for a failing window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<String>,
    /// The stage that lowered the load, or the one the window failed in
    /// (0-based), and its label.
    pub stage: usize,
    pub stage_name: String,
    /// When the load dropped or the window first failed, seconds of run time.
    pub at_s: f64,
    /// Seconds until p95 and error rate were back; `None`: not within the run.
    pub seconds: Option<f64>,
    /// The limits that count as recovered: p95 in ms and error rate as a fraction.
    pub p95_limit_ms: f64,
    pub error_rate_limit: f64,
    /// Where the limits come from: `thresholds` or the reference stage's label.
    pub reference: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FlowSummary {
    pub name: String,
    pub count: u64,
    pub failed: u64,
    pub failure_rate: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CheckSummary {
    pub passed: u64,
    pub failed: u64,
    pub pass_rate: f64,
    /// Failing checks by label, most failures first.
    pub failing: Vec<(String, u64)>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MetricSummary {
    pub name: String,
    pub hits: u64,
    pub total: u64,
    pub rate: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChunkSummary {
    pub count: u64,
    pub bytes: u64,
    /// Mean throughput while reading chunks, 10^6 bytes per second.
    pub mb_per_sec: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PersonaSummary {
    pub name: String,
    pub weight: u32,
    pub requests: u64,
    pub errors: u64,
    pub error_rate: f64,
    pub p95_ms: f64,
}

/// Journey results; `None` in the summary for plain profiles.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct JourneySummary {
    pub flows: Vec<FlowSummary>,
    pub checks: Option<CheckSummary>,
    pub metrics: Vec<MetricSummary>,
    pub chunks: Option<ChunkSummary>,
    pub personas: Vec<PersonaSummary>,
}
