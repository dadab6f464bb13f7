//! One run split over several machines: each machine runs `loadpilot run
//! --headless --agent-listen ADDR` (an *agent*, usually with `--segment i/n`), and
//! `loadpilot attach` follows them all as one run.
//!
//! - [`server`]: the agent API an agent serves (status, the run so far as a
//!   snapshot, operator commands, the final snapshot), behind a bearer token.
//! - [`client`]: the HTTP calls `attach` makes to one agent.
//! - [`attach`]: the `attach` command: a front end over the fleet, the summary
//!   and the merged snapshot at the end.
//! - [`fleet`]: following the agents: polls every agent, merges their runs exactly (the
//!   snapshots' histograms add, as `loadpilot merge` does), publishes the merged
//!   frames to the normal dashboard or progress lines, fans every operator command
//!   out to all agents, and writes the merged snapshot at the end.
//!
//! The API is versioned by its path (`/v1/…`) and documented in
//! `docs/agent-api.md`.

pub mod attach;
pub mod client;
pub mod fleet;
pub mod server;

use serde::{Deserialize, Serialize};

/// Environment variable holding the agent token (both sides).
pub const TOKEN_ENV: &str = "LOADPILOT_AGENT_TOKEN";

/// `GET /v1/status`: what an agent is doing now, from its newest frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentStatus {
    /// `running` or `finished` (the final snapshot is ready).
    pub state: AgentState,
    pub profile: String,
    /// `--segment`, when the agent runs a share of the run (`3/8`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// What the agent's engine is doing (`ramping`, `hold`, `manual`, `paused`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<crate::vocab::RunMode>,
    pub elapsed_s: f64,
    pub vus_active: u32,
    pub vus_target: u32,
    pub requests: u64,
    pub rps_now: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    Running,
    Finished,
}
