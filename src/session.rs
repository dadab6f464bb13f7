//! A run in progress: [`Session::start`] resolves the command-line options against
//! a profile and starts the engine, the aggregator and the samplers with the
//! channels between them; [`Session::wait`] collects the result and writes the final
//! snapshot. The dashboard, the headless loop and the tests all drive runs through it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::cli::RunOptions;
use crate::command::Command;
use crate::engine::client::ClientConfig;
use crate::engine::request::Prepared;
use crate::engine::{EngineChannels, EngineConfig, EngineEnd};
use crate::error::AppError;
use crate::metrics::aggregator::{AggregatorChannels, AggregatorConfig, RunRecord};
use crate::metrics::dashboard::{Dashboard, MemoryStatus};
use crate::plan::{flat_stages, parse_stages};
use crate::profile::Profile;
use crate::report::Summary;
use crate::snapshot::{Snapshot, SnapshotMeta};

/// Applies command-line overrides to a profile.
pub fn apply_options(
    profile: &mut Profile,
    opts: &RunOptions,
) -> Result<Option<Duration>, AppError> {
    if let Some(stages) = &opts.stages {
        profile.load.stages =
            parse_stages(stages).map_err(|e| AppError::Usage(format!("--stages: {e}")))?;
    }
    let mut max_duration = None;
    match (opts.vus, opts.duration) {
        // A flat load: all VUs at once (a zero-length first stage), then hold them.
        (Some(vus), Some(duration)) => profile.load.stages = flat_stages(vus, duration),
        (Some(vus), None) if opts.stages.is_none() => {
            // Keep the profile's timing but flatten it at `vus`.
            let total = profile
                .load
                .stages
                .iter()
                .map(|s| s.duration)
                .sum::<Duration>();
            let duration = if total.is_zero() {
                Duration::from_secs(30)
            } else {
                total
            };
            profile.load.stages = flat_stages(vus, duration);
        }
        (Some(_), None) => {
            return Err(AppError::Usage(
                "--vus cannot be combined with --stages".into(),
            ));
        }
        (None, Some(duration)) => max_duration = Some(duration),
        (None, None) => {}
    }
    if profile.load.stages.is_empty() {
        return Err(AppError::Usage(
            "no load given: use --vus N --duration D, --stages \"30s:10,1m:50\", or a profile with [load] stages".into(),
        ));
    }
    if let Some(timeout) = opts.timeout {
        profile.defaults.timeout = timeout;
        for r in &mut profile.requests {
            r.timeout = None;
        }
    }
    for expr in &opts.thresholds {
        let t = profile
            .parse_threshold_expr(expr)
            .map_err(|e| AppError::Usage(format!("--threshold: {e}")))?;
        profile.thresholds.push(t);
    }
    Ok(max_duration)
}

/// Saves mid-run snapshots: asks the aggregator for a copy of its state and
/// writes it beside the final snapshot. Cheap to clone; one per front end.
#[derive(Clone)]
pub struct SnapshotSaver {
    /// To the aggregator; each request carries the reply channel.
    requests: mpsc::Sender<oneshot::Sender<RunRecord>>,
    meta: Arc<SnapshotMeta>,
    /// The final snapshot's path; mid-run copies go beside it.
    final_path: PathBuf,
}

impl SnapshotSaver {
    /// Writes a snapshot of the run so far and returns its path.
    pub async fn save(&self) -> anyhow::Result<PathBuf> {
        let (reply, record) = oneshot::channel();
        self.requests
            .send(reply)
            .await
            .map_err(|_| anyhow::anyhow!("the run has ended"))?;
        let record = record.await.context("the aggregator did not answer")?;
        let stem = self
            .final_path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("snapshot");
        let stem = stem.trim_end_matches(".json");
        let path = self
            .final_path
            .with_file_name(format!("{stem}-at-{}s.json", record.duration.as_secs()));
        let meta = self.meta.clone();
        let target = path.clone();
        tokio::task::spawn_blocking(move || {
            let snapshot = Snapshot::from_record(&record, &meta);
            crate::snapshot::write(&target, &snapshot, &meta.secrets)
        })
        .await
        .context("the snapshot writer failed")??;
        Ok(path)
    }
}

/// A run in progress: the handles a front end (dashboard, headless loop, test)
/// steers and watches it through.
pub struct Session {
    /// Operator commands into the engine (bounded, ordered).
    pub commands: mpsc::Sender<Command>,
    /// The newest published frame; closes when the aggregator has finished.
    pub frames: watch::Receiver<Arc<Dashboard>>,
    /// Graceful stop (what Ctrl-C / SIGTERM trigger).
    pub stop: CancellationToken,
    /// Hard stop: in-flight requests are dropped.
    pub abort: CancellationToken,
    /// Saves mid-run snapshots (`s` in the dashboard).
    pub snapshots: SnapshotSaver,
    /// Where the final snapshot goes; `None` with `--no-snapshot`.
    snapshot_path: Option<PathBuf>,
    /// Cancelled when the session has ended; stops the samplers.
    done: CancellationToken,
    engine: JoinHandle<EngineEnd>,
    aggregator: JoinHandle<RunRecord>,
}

/// What a finished run produced.
pub struct RunOutput {
    pub end: EngineEnd,
    pub record: RunRecord,
    pub summary: Summary,
    /// Where the final snapshot was written.
    pub snapshot: Option<PathBuf>,
}

impl Session {
    /// Applies `opts` to `profile` and starts the engine, the aggregator and the samplers.
    pub fn start(
        mut profile: Profile,
        opts: &RunOptions,
        demo_pid: Option<u32>,
    ) -> Result<Session, AppError> {
        let max_duration = apply_options(&mut profile, opts)?;
        crate::metrics::scope::check_scope_count(
            profile.requests.len(),
            profile.journey.flows.len(),
            profile.journey.metrics.len(),
            profile.load.stages.len(),
        )
        .map_err(|e| AppError::Usage(e.to_string()))?;
        let prepared = Prepared::new(&profile).map_err(AppError::Usage)?;
        let client = ClientConfig::new(opts.http2, opts.insecure)
            .map_err(|e| AppError::Runtime(anyhow::anyhow!(e)))?;
        let meta = Arc::new(SnapshotMeta::new(&profile, opts));
        let start = Instant::now();
        let started_at = chrono::Utc::now();
        let final_path = opts
            .out
            .clone()
            .unwrap_or_else(|| crate::snapshot::default_path(&profile.name, started_at));
        let stop = CancellationToken::new();
        let abort = CancellationToken::new();
        let done = CancellationToken::new();
        // VU recorders → aggregator. Bounded: a full channel makes VUs keep merging locally.
        let (batch_tx, batch_rx) = mpsc::channel(1024);
        // Engine → aggregator: state and log events.
        let (event_tx, event_rx) = mpsc::channel(256);
        // Operator → engine.
        let (command_tx, command_rx) = mpsc::channel(64);
        // Snapshot saver → aggregator: requests for a copy of the state.
        let (snapshot_tx, snapshot_rx) = mpsc::channel(4);
        let (frame_tx, frame_rx) =
            watch::channel(Arc::new(Dashboard::empty(&profile.name, &profile.base_url)));
        let memory = start_sysmon(opts, demo_pid, done.clone());
        let aggregator = crate::metrics::aggregator::spawn(
            AggregatorConfig {
                profile_name: profile.name.clone(),
                target: profile.base_url.clone(),
                request_names: profile.requests.iter().map(|r| r.name.clone()).collect(),
                thresholds: profile.thresholds.clone(),
                abort_on_fail: profile.abort_on_fail,
                start,
                journey: crate::metrics::journey::JourneyConfig::from_profile(&profile),
                started_at,
            },
            AggregatorChannels {
                batches: batch_rx,
                events: event_rx,
                memory,
                publish: frame_tx,
                stop: stop.clone(),
                snapshots: snapshot_rx,
            },
        );
        let engine = crate::engine::spawn(
            EngineConfig {
                prepared,
                client,
                think: profile.defaults.think_time,
                stages: profile.load.stages.clone(),
                max_duration,
                graceful_stop: profile.load.graceful_stop,
                start,
                seed: rand::random(),
            },
            EngineChannels {
                commands: command_rx,
                events: event_tx,
                batches: batch_tx,
                stop: stop.clone(),
                abort: abort.clone(),
            },
        );
        let snapshot_path = (!opts.no_snapshot).then(|| final_path.clone());
        Ok(Session {
            commands: command_tx,
            frames: frame_rx,
            stop,
            abort,
            snapshots: SnapshotSaver {
                requests: snapshot_tx,
                meta,
                final_path,
            },
            snapshot_path,
            done,
            engine,
            aggregator,
        })
    }

    /// Whether this run writes snapshots (not with `--no-snapshot`).
    pub fn keeps_snapshots(&self) -> bool {
        self.snapshot_path.is_some()
    }

    /// Waits for the engine and the aggregator to finish, then writes the final
    /// snapshot. A failed engine still ends in a snapshot of what was measured.
    pub async fn wait(self) -> Result<RunOutput, AppError> {
        drop(self.commands);
        let engine = self.engine.await;
        let record = self
            .aggregator
            .await
            .context("the aggregator task failed")?;
        self.done.cancel();
        let snapshot = match self.snapshot_path {
            Some(path) => {
                let meta = self.snapshots.meta.clone();
                let (copy, target) = (record.clone(), path.clone());
                tokio::task::spawn_blocking(move || {
                    let snapshot = Snapshot::from_record(&copy, &meta);
                    crate::snapshot::write(&target, &snapshot, &meta.secrets)
                })
                .await
                .context("the snapshot writer failed")?
                .with_context(|| format!("writing the snapshot {}", path.display()))?;
                Some(path)
            }
            None => None,
        };
        let end = engine.context("the engine task failed")?;
        let summary = Summary::from_record(&record);
        Ok(RunOutput {
            end,
            record,
            summary,
            snapshot,
        })
    }
}

fn start_sysmon(
    opts: &RunOptions,
    demo_pid: Option<u32>,
    done: CancellationToken,
) -> watch::Receiver<MemoryStatus> {
    crate::sysmon::spawn(
        crate::sysmon::SysmonConfig {
            target_pid: opts.watch_pid.or(demo_pid),
            watch_url: opts.watch_url.clone(),
            watch_json_path: opts.watch_json_path.clone(),
            watch_every: opts.watch_every,
        },
        done,
    )
}
