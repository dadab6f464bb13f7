//! Operator commands: the UI (keys) and headless runs (signals) steer the engine
//! through one ordered channel of these.
//!
//! Adding a command:
//! 1. add the variant here, with a doc comment saying what the engine does;
//! 2. apply it in `engine::Engine::apply` and emit an `EngineEvent::Applied`;
//! 3. give it a key in `ui::keymap` (the help overlay is generated from that table);
//! 4. add a case to the engine's command tests.

use serde::{Deserialize, Serialize};

/// A request from the operator to the engine. Sent on the bounded `mpsc` whose
/// receiver the engine task owns; the channel ends when every sender is dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Set the VU target to an absolute value; holds the stage clock (mode MANUAL).
    SetVus { vus: u32 },
    /// Add (or with a negative delta remove) VUs; holds the stage clock (mode MANUAL).
    AddVus { delta: i64 },
    /// Freeze the schedule at the current target.
    Hold,
    /// Let the stage clock run on; the current stage ramps from the current target
    /// to its own target over its remaining time.
    Resume,
    /// Jump to the start of the next stage.
    SkipStage,
    /// Pause all VUs between requests (connections are kept).
    Pause,
    /// Undo `Pause`.
    Unpause,
    /// Switch a closed-model run to the open model at `rate` arrivals per second
    /// (the UI sends the throughput it last saw). The VUs finish their in-flight
    /// request and retire; an arrival pool takes over; the plan holds at `rate`
    /// with the rest of the schedule scaled by the same ratio. A no-op in the open model.
    SwitchToRate { rate: u32 },
    /// Switch an open-model run back to VUs at its current concurrency (the VUs
    /// busy with an arrival when the command lands, at least one: the engine
    /// knows it, the UI does not). A no-op in the closed model.
    SwitchToVus,
    /// Ramp the target from where it is to `target` over `over_ms`, as the
    /// schedule's new last stage (the rest is dropped; the run ends when the ramp
    /// does). Sent by find-limit once its search is over; no key sends it.
    RampTo { target: u32, over_ms: u64 },
    /// Record an operator annotation in the event log and on the charts.
    Annotate { text: String },
    /// Move the run's hard end (`--duration` or the schedule's length) later by
    /// `secs` seconds. Nothing else moves the end: steering the VUs does not.
    ExtendRun { secs: u64 },
    /// End the run gracefully (in-flight requests finish within `graceful_stop`).
    Stop,
}

impl Command {
    /// Short human text for the event log, in the load model's unit (the same
    /// keys set VUs in the closed model and the arrival rate in the open one).
    pub fn describe_for(&self, model: crate::plan::LoadModel) -> String {
        use crate::plan::LoadModel;
        match (self, model) {
            (Command::SetVus { vus }, LoadModel::Rate) => format!("set rate to {vus}/s"),
            (Command::AddVus { delta }, LoadModel::Rate) if *delta >= 0 => format!("+{delta}/s"),
            (Command::AddVus { delta }, LoadModel::Rate) => format!("{delta}/s"),
            _ => self.describe(),
        }
    }

    /// Short human text for the event log.
    pub fn describe(&self) -> String {
        match self {
            Command::SetVus { vus } => format!("set VUs to {vus}"),
            Command::AddVus { delta } if *delta >= 0 => format!("+{delta} VUs"),
            Command::AddVus { delta } => format!("{delta} VUs"),
            Command::Hold => "hold".into(),
            Command::Resume => "resume".into(),
            Command::SkipStage => "skip stage".into(),
            Command::Pause => "pause".into(),
            Command::Unpause => "unpause".into(),
            Command::SwitchToRate { rate } => format!("switch to arrival rate {rate}/s"),
            Command::SwitchToVus => "switch to VUs".into(),
            Command::RampTo { target, over_ms } => format!(
                "ramp to {target} over {}",
                humantime::format_duration(std::time::Duration::from_millis(*over_ms))
            ),
            Command::Annotate { text } => format!("note: {text}"),
            Command::ExtendRun { secs } => format!(
                "run extended by {}",
                humantime::format_duration(std::time::Duration::from_secs(*secs))
            ),
            Command::Stop => "stop".into(),
        }
    }
}
