//! loadpilot: an interactive terminal load tester.
//!
//! ```text
//!             Command (mpsc 64)                   RunState (watch) + retire token per VU
//!  UI / signals ─────────────────▶ engine task ────────────────────────────────▶ VU tasks (N)
//!    ▲                               │ EngineEvent (mpsc 256): status, stages,      │
//!    │ watch<Arc<Dashboard>>         ▼ applied commands                              │ Batch (mpsc 1024, try_send)
//!    └──────────────────────── aggregator task ◀────────────────────────────────────┘
//!                                    ▲ watch<MemoryStatus> (sysmon)
//! ```
//!
//! - [`cli`]: the command line; [`app`] turns it into runs and exit codes;
//!   [`session`] starts a run (engine, aggregator, samplers) and collects its result.
//! - [`profile`]: TOML profiles → resolved [`profile::Profile`] (requests, personas,
//!   flows, data files, templates); [`threshold`]: pass/fail expressions.
//! - [`plan`]: the pure VU schedule (stages, hold, manual, skip).
//! - [`engine`]: the controller task, the VU pool, the per-VU HTTP client, journeys
//!   (setup, flows, range streaming).
//! - [`outcome`]: request outcome classes.
//! - [`command`]: operator commands into the engine.
//! - [`metrics`]: per-VU recorders, the aggregator (sole owner of histograms and
//!   series), the published [`metrics::dashboard::Dashboard`].
//! - [`report`]: the end-of-run summary; [`headless`]: progress lines.
//! - [`snapshot`]: the saved run (versioned JSON, lossless histograms, redaction);
//!   [`export`]: `report` formats; [`compare`]: before/after; [`merge`]: several machines.
//! - [`ui`]: the live dashboard, the snapshot viewer (`open`), the compare view and
//!   the baseline overlay; [`sysmon`]: memory/CPU sampling.
//! - [`target`]: the built-in demo target server; [`demo`]: running it as a child process.
//! - [`shutdown`]: signals; [`fsutil`]: output files (atomic, or in place for
//!   devices and FIFOs); [`stdout`]: stdout/stderr that may be closed.
//! - [`limits`]: the bounds every input obeys (durations, VUs, profile size), from a
//!   profile or the command line.
//!
//! Snapshots travel as `SaveSnapshot` requests (mpsc, a `oneshot` reply inside)
//! from the UI's saver to the aggregator, which answers with a copy of its state.
pub mod cli;
pub mod command;
pub mod compare;
pub mod demo;
pub mod demo_target;
pub mod dispatch;
pub mod engine;
pub mod error;
pub mod export;
pub mod format;
pub mod fsutil;
pub mod headless;
pub mod import;
pub mod limits;
pub mod merge;
pub mod metrics;
pub mod outcome;
pub mod plan;
pub mod profile;
pub mod redact;
pub mod report;
pub mod session;
pub mod shutdown;
pub mod snapshot;
pub mod stdout;
pub mod sysmon;
pub mod threshold;
pub mod ui;
pub mod vocab;

pub use cli::Cli;
