//! What the engine tells the aggregator: its state (for the header and the VU
//! series) and log-worthy events (stage changes, applied operator commands).

use std::time::Duration;

use crate::command::Command;
use crate::metrics::dashboard::{LogKind, RunMode, StageStatus};

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
}

impl Default for EngineStatus {
    fn default() -> Self {
        EngineStatus {
            vus_active: 0,
            vus_target: 0,
            mode: RunMode::Ramping,
            stage: StageStatus::default(),
            planned: None,
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
