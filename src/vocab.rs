//! The vocabulary shared across layers: what the engine reports (its status and
//! events), the run's mode and stage, and event-log entries. It sits below the
//! engine, the metrics, the snapshot and the UI so that each can name these types
//! without importing another layer (see the module map in `lib.rs`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::command::Command;
pub use crate::plan::LoadModel;
use crate::plan::PlanMode;

/// Overall state of the run as the engine reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunMode {
    Ramping,
    Hold,
    Manual,
    Paused,
    Stopping,
    Done,
}

impl RunMode {
    pub fn from_plan(mode: PlanMode) -> RunMode {
        match mode {
            PlanMode::Ramping => RunMode::Ramping,
            PlanMode::Hold => RunMode::Hold,
            PlanMode::Manual => RunMode::Manual,
        }
    }

    /// The label the header and progress lines show: a scheduled stage whose
    /// start and end targets are equal is a hold, whatever drives it.
    pub fn label_in(self, stage: &StageStatus) -> &'static str {
        if self == RunMode::Ramping && stage.flat {
            RunMode::Hold.label()
        } else {
            self.label()
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RunMode::Ramping => "RAMPING",
            RunMode::Hold => "HOLD",
            RunMode::Manual => "MANUAL",
            RunMode::Paused => "PAUSED",
            RunMode::Stopping => "STOPPING",
            RunMode::Done => "DONE",
        }
    }
}

/// What the latency histograms measure (see [`crate::metrics::scope::ScopeStats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "basis")]
pub enum LatencyBasis {
    /// From the send to the response (closed model).
    #[default]
    Service,
    /// From each arrival's intended start (open model); service time kept beside it.
    IntendedStart,
    /// Closed model corrected for an expected interval between requests
    /// (`--expected-interval`, HdrHistogram's `record_correct`).
    Corrected { interval_us: u64 },
}

impl LatencyBasis {
    /// How the main latency figures are labelled.
    pub fn label(self) -> &'static str {
        match self {
            LatencyBasis::Service => "service time",
            LatencyBasis::IntendedStart => "from intended start",
            LatencyBasis::Corrected { .. } => "corrected",
        }
    }

    /// Whether a separate service-time histogram is kept.
    pub fn has_service(self) -> bool {
        self != LatencyBasis::Service
    }
}

/// Where the schedule is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct StageStatus {
    /// 0-based index of the current stage.
    pub index: usize,
    pub count: usize,
    /// Fraction of the current stage run (0..=1).
    pub progress: f64,
    /// The current stage's own target.
    pub stage_target: u32,
    /// 1-based number of the current stage among the stages that take time (the
    /// 0 s jump a flat run starts with is not a stage anyone watches); 0 when
    /// unknown (older snapshots), then [`StageStatus::position`] counts every stage.
    #[serde(default)]
    pub number: usize,
    /// How many stages take time.
    #[serde(default)]
    pub timed: usize,
    /// The current stage keeps its target (start equals end): it holds.
    #[serde(default)]
    pub flat: bool,
}

impl StageStatus {
    /// "Stage N of M" as people count them: `(N, M)`, or `None` without stages.
    pub fn position(&self) -> Option<(usize, usize)> {
        if self.count == 0 {
            None
        } else if self.number == 0 || self.timed == 0 {
            Some(((self.index + 1).min(self.count), self.count))
        } else {
            Some((self.number.min(self.timed), self.timed))
        }
    }
}

/// What kind of line an event-log entry is (for colour and chart markers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    Stage,
    Operator,
    Annotation,
    ThresholdBreach,
    ThresholdRecovered,
    FirstError,
    Alert,
    Info,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Run time of the event.
    pub at: Duration,
    pub kind: LogKind,
    pub text: String,
}

/// The engine's view of the run, sent whenever it changes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EngineStatus {
    /// VUs running and not told to stop.
    pub vus_active: u32,
    /// What the plan (or the operator) asks for.
    pub vus_target: u32,
    pub mode: RunMode,
    pub stage: StageStatus,
    /// Scheduled run length, if known.
    pub planned: Option<Duration>,
    /// What `vus_target` counts: VUs, or arrivals per second in the open model
    /// (where `vus_active` counts the VUs allocated to serve them).
    pub model: LoadModel,
}

impl Default for EngineStatus {
    fn default() -> Self {
        EngineStatus {
            vus_active: 0,
            vus_target: 0,
            mode: RunMode::Ramping,
            stage: StageStatus::default(),
            planned: None,
            model: LoadModel::Vus,
        }
    }
}

/// Sent on the engine → aggregator `mpsc`; the channel closes when the engine ends.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineEvent {
    Status(EngineStatus),
    /// An operator command the engine applied, with the VU target before and after.
    Applied {
        command: Command,
        vus_before: u32,
        vus_after: u32,
    },
    /// Anything else worth a log line (stage changes, stopping, panicked VUs).
    Log {
        kind: LogKind,
        text: String,
    },
}
