//! loadpilot: an interactive terminal load tester.
//!
//! Module map (see `../shared/STYLE.md` for the reasoning):
//!
//! - [`cli`]: the command line; [`app`] turns it into runs.
//! - [`profile`]: TOML profiles → resolved [`profile::Profile`]; [`threshold`]: pass/fail expressions.
//! - [`plan`]: the pure VU schedule (stages, hold, manual, skip).
//! - [`outcome`]: request outcome classes.
//! - [`command`]: operator commands into the engine.
//! - [`metrics`]: per-VU recorders, the aggregator, the published [`metrics::dashboard::Dashboard`].
//! - [`target`]: the built-in demo target server.
pub mod cli;
pub mod command;
pub mod metrics;
pub mod outcome;
pub mod plan;
pub mod profile;
pub mod target;
pub mod threshold;
pub mod ui;

pub use cli::Cli;
