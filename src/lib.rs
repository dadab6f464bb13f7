//! loadpilot: an interactive terminal load tester.
//!
//! ```text
//!             Command (mpsc 64)                   RunState (watch) + retire token per VU
//!  UI / signals ─────────────────▶ engine task ────────────────────────────────▶ VU tasks (N)
//!    ▲                               │ EngineEvent (mpsc 256): status, stages,      │
//!    │ watch<Arc<Dashboard>>         ▼ applied commands                              │ Batch (mpsc 1024, try_send)
//!    └──────────────────────── aggregator task ◀────────────────────────────────────┘
//!                                    ▲ watch<SystemStatus> (sysmon)
//! ```
//!
//! Layers, top to bottom (dependencies point down; `tests/architecture.rs` fails on
//! a cycle; `docs/architecture.md` has the channels and the paths of a keypress
//! and of a response):
//!
//! - edge: [`cli`] (the command line), [`dispatch`] (a command line → work → exit
//!   code), [`import`] (HAR and curl → profile), [`quick`] (oha/curl-style
//!   request flags and the defaults of a URL run).
//! - fleet: [`agent`] (`--agent-listen`: the agent API beside a run; `attach`:
//!   follows agents as one run, exact merges, commands split across them),
//!   [`k8s`] (`k8s render`: a ConfigMap, headless Service and Indexed Job of agents).
//! - front ends: [`ui`] (live dashboard, snapshot viewer, compare view, baseline
//!   overlay), [`headless`] (progress lines).
//! - run: [`session`] (starts engine, aggregator and samplers; collects the
//!   result), [`shutdown`] (signals), [`start_gate`] (`--start-at`: waiting for
//!   the agreed start).
//! - outputs: [`report`] (the summary), [`export`] (`report` formats), [`exporter`]
//!   (`--metrics-listen`: the live frame for Prometheus), [`compare`],
//!   [`merge`], [`snapshot`] (the saved run: versioned JSON, lossless histograms,
//!   range checks).
//! - core: [`engine`] (controller, VU pool, HTTP client, checks, journeys),
//!   [`metrics`] (per-VU recorders, the aggregator — sole owner of histograms and
//!   series — and the published [`metrics::dashboard::Dashboard`] frame),
//!   [`sysmon`] (host, lag, watched process or URL), [`threshold`], [`plan`] (the
//!   pure VU schedule), [`profile`] (TOML → resolved [`profile::Profile`]).
//! - vocabulary: [`vocab`] (run mode, stage status, log entries, engine events and
//!   status), [`outcome`] (error classes), [`command`] (operator commands),
//!   [`error`] (`AppError`, exit codes), [`format`](mod@format) (every number formatter),
//!   [`fit`] (text tables that fit the terminal's width),
//!   [`segment`] (execution segments: one agent's exact share of a split run),
//!   [`limits`] (the bounds every input obeys, and `LimitError`), [`redact`] (secrets out of every
//!   output), [`fsutil`] (output files: atomic, or in place for devices and FIFOs),
//!   [`stdout`] (stdout/stderr that may be closed).
//! - beside the core: [`demo_target`] (the built-in target server), [`demo`]
//!   (running it as a child process).
//!
//! Errors: every module boundary returns a thiserror type (`ProfileError`,
//! `LimitError`, `ThresholdError`, `SnapshotError`…); [`error::AppError`] maps
//! them to exit codes in [`dispatch`]. `docs/architecture.md` lists them.
//!
//! Snapshots travel as `SaveSnapshot` requests (mpsc, a `oneshot` reply inside)
//! from the UI's saver to the aggregator, which answers with a copy of its state.
pub mod agent;
pub mod cli;
pub mod command;
pub mod compare;
pub mod demo;
pub mod demo_target;
pub mod dispatch;
pub mod engine;
pub mod error;
pub mod export;
pub mod exporter;
pub mod finder;
pub mod fit;
pub mod format;
pub mod fsutil;
pub mod headless;
pub mod import;
pub mod k8s;
pub mod limits;
pub mod merge;
pub mod metrics;
pub mod outcome;
pub mod plan;
pub mod profile;
pub mod quick;
pub mod redact;
pub mod report;
pub mod segment;
pub mod session;
pub mod shutdown;
pub mod snapshot;
pub mod start_gate;
pub mod stdout;
pub mod sysmon;
pub mod threshold;
pub mod ui;
pub mod vocab;

pub use cli::Cli;
