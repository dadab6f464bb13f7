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
use crate::engine::workers::VuWorkers;
use crate::engine::{EngineChannels, EngineConfig, EngineEnd};
use crate::error::AppError;
use crate::metrics::aggregator::{AggregatorChannels, AggregatorConfig, RunRecord};
use crate::metrics::dashboard::{Dashboard, SystemStatus};
use crate::plan::{flat_stages, parse_named_stages_for};
use crate::profile::Profile;
use crate::redact::Redactor;
use crate::report::Summary;
use crate::snapshot::{Snapshot, SnapshotMeta};

/// Applies command-line overrides to a profile.
pub fn apply_options(
    profile: &mut Profile,
    opts: &RunOptions,
) -> Result<Option<Duration>, AppError> {
    crate::quick::apply_request_flags(profile, opts).map_err(|e| AppError::Usage(e.to_string()))?;
    if apply_rate_options(profile, opts)? {
        return finish_options(profile, opts, None);
    }
    if opts.vus.is_some() && opts.stages.is_some() {
        // Whatever else is given (`--duration` would otherwise pick `--vus`
        // and drop the stages without a word), the two contradict each other.
        return Err(AppError::Usage(
            "--vus cannot be combined with --stages: use --vus N --duration D for a flat \
             load, or --stages alone"
                .into(),
        ));
    }
    if let Some(stages) = &opts.stages {
        let (stages, names) = parse_named_stages_for(stages, crate::plan::LoadModel::Vus)
            .map_err(|e| AppError::Usage(format!("--stages: {e}")))?;
        profile.load.stages = stages;
        profile.load.stage_names = names;
    }
    let mut max_duration = None;
    if opts.requests.is_some() {
        // `-n`: all VUs at once until their shares are sent, `-z` as a cap.
        let vus = opts.vus.unwrap_or(crate::quick::URL_RUN_VUS);
        let cap = opts.duration.unwrap_or(crate::limits::MAX_DURATION);
        profile.load.stages = flat_stages(vus, cap);
        return finish_options(profile, opts, None);
    }
    match (opts.vus, opts.duration) {
        // A flat load: all VUs at once (a zero-length first stage), then hold them.
        (Some(vus), Some(duration)) => {
            profile.load.stages = flat_stages(vus, duration);
            profile.load.stage_names.clear();
        }
        (Some(vus), None) => {
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
            profile.load.stage_names.clear();
        }
        (None, Some(duration)) => max_duration = Some(duration),
        (None, None) => {}
    }
    finish_options(profile, opts, max_duration)
}

/// `--rate`, `--rate-stages`, `--max-vus`: switches the profile to the open model.
/// True when a rate option set the schedule (so `--duration` was used up).
fn apply_rate_options(profile: &mut Profile, opts: &RunOptions) -> Result<bool, AppError> {
    use crate::plan::LoadModel;
    let usage = |e: String| AppError::Usage(e);
    let scheduled = match (opts.rate, &opts.rate_stages) {
        (Some(rate), _) => {
            let duration = opts.duration.unwrap_or(Duration::from_secs(30));
            profile.load.stages = flat_stages(rate, duration);
            profile.load.stage_names.clear();
            true
        }
        (None, Some(stages)) => {
            let (stages, names) = parse_named_stages_for(stages, LoadModel::Rate)
                .map_err(|e| usage(format!("--rate-stages: {e}")))?;
            profile.load.stages = stages;
            profile.load.stage_names = names;
            if opts.duration.is_some() {
                return Err(usage(
                    "--duration cannot be combined with --rate-stages (the stages set the length)"
                        .into(),
                ));
            }
            true
        }
        (None, None) => false,
    };
    if scheduled {
        profile.load.model = LoadModel::Rate;
    } else if profile.load.model == LoadModel::Rate && (opts.vus.is_some() || opts.stages.is_some())
    {
        return Err(usage(
            "this profile uses the arrival-rate executor: set its load with --rate N or \
             --rate-stages, not --vus or --stages"
                .into(),
        ));
    }
    if opts.requests.is_some() && profile.load.model == LoadModel::Rate {
        return Err(usage(
            "-n counts the requests of VUs (the closed model); this run uses the open \
             model: give its length with -z instead"
                .into(),
        ));
    }
    if let Some(max) = opts.max_vus {
        if profile.load.model != LoadModel::Rate {
            return Err(usage(
                "--max-vus is for the open model: add --rate N or --rate-stages".into(),
            ));
        }
        profile.load.max_vus = Some(max);
        if let Some(pre) = profile.load.pre_allocated_vus.filter(|p| *p > max) {
            profile.load.pre_allocated_vus = Some(max.min(pre));
        }
    }
    if opts.expected_interval.is_some() && profile.load.model == LoadModel::Rate {
        return Err(usage(
            "--expected-interval corrects the closed model; the open model (--rate) \
             already measures from each request's intended start"
                .into(),
        ));
    }
    Ok(scheduled)
}

/// The options that apply whatever the load: timeout and thresholds.
fn finish_options(
    profile: &mut Profile,
    opts: &RunOptions,
    max_duration: Option<Duration>,
) -> Result<Option<Duration>, AppError> {
    if profile.load.stages.is_empty() {
        return Err(AppError::Usage(
            "no load given: use --vus N --duration D, --stages \"30s:10,1m:50\", or a profile with [load] stages".into(),
        ));
    }
    if let Some(segment) = opts.segment {
        profile.load.segment = Some(segment);
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

/// The target as the header and summary name it: the base URL, led by the method
/// when the run sends one kind of request (`POST http://host:8080`).
fn target_label(profile: &Profile) -> String {
    match profile.requests.as_slice() {
        [only] if profile.journey.flows.is_empty() => {
            format!("{} {}", only.method, profile.base_url)
        }
        _ => profile.base_url.clone(),
    }
}

/// What the run's latency histograms measure: from intended start in the open
/// model, corrected with `--expected-interval` in the closed one.
fn latency_basis(profile: &Profile, opts: &RunOptions) -> crate::vocab::LatencyBasis {
    use crate::vocab::LatencyBasis;
    match (profile.load.model, opts.expected_interval) {
        (crate::plan::LoadModel::Rate, _) => LatencyBasis::IntendedStart,
        (_, Some(interval)) => LatencyBasis::Corrected {
            interval_us: interval.as_micros() as u64,
        },
        (_, None) => LatencyBasis::Service,
    }
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
    /// The folder the run's snapshots go to (what the `b` prompt offers).
    pub fn dir(&self) -> PathBuf {
        match self.final_path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    /// A copy of the run's record so far (what a mid-run snapshot holds).
    pub async fn record_now(&self) -> anyhow::Result<RunRecord> {
        let (reply, record) = oneshot::channel();
        self.requests
            .send(reply)
            .await
            .map_err(|_| anyhow::anyhow!("the run has ended"))?;
        record.await.context("the aggregator did not answer")
    }

    /// `record` as snapshot JSON with the run's secrets scrubbed (what the agent
    /// API serves).
    pub fn json_of(&self, record: &RunRecord) -> anyhow::Result<String> {
        let snapshot = Snapshot::from_record(record, &self.meta);
        Ok(crate::snapshot::to_json(
            &snapshot,
            self.meta.redactor.secrets(),
        )?)
    }

    /// Writes a snapshot of the run so far and returns its path.
    pub async fn save(&self) -> anyhow::Result<PathBuf> {
        let record = self.record_now().await?;
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
            crate::snapshot::write(&target, &snapshot, meta.redactor.secrets())
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
    /// Threads that ran VUs (the summary's `worker_threads`).
    worker_threads: usize,
}

/// What a finished run produced.
pub struct RunOutput {
    pub end: EngineEnd,
    pub record: RunRecord,
    pub summary: Summary,
    /// Where the final snapshot was written (the fallback when the wanted path failed).
    pub snapshot: Option<PathBuf>,
    /// Set when the final snapshot could not be written where it was wanted.
    pub snapshot_failure: Option<SnapshotFailure>,
}

/// Refuses a profile with more scopes than the aggregator keeps, then builds the
/// requests once for the hot path.
fn prepare_requests(profile: &Profile) -> Result<Arc<Prepared>, AppError> {
    crate::metrics::scope::check_scope_count(
        profile.requests.len(),
        profile.journey.flows.len(),
        profile.journey.metrics.len(),
        profile.load.stages.len(),
    )
    .map_err(|e| AppError::Usage(e.to_string()))?;
    Prepared::new(profile).map_err(|e| AppError::Usage(e.to_string()))
}

/// What the aggregator needs to know about the run: names (redacted), thresholds,
/// journeys, the clock and the latency basis.
fn aggregator_config(
    profile: &Profile,
    opts: &RunOptions,
    target: String,
    start: Instant,
    started_at: chrono::DateTime<chrono::Utc>,
    redactor: &Arc<Redactor>,
    watch_names: &[String],
) -> AggregatorConfig {
    AggregatorConfig {
        profile_name: profile.name.clone(),
        target,
        request_names: profile
            .requests
            .iter()
            .map(|r| redactor.text(&r.name))
            .collect(),
        thresholds: profile.thresholds.clone(),
        abort_on_fail: profile.abort_on_fail,
        start,
        journey: crate::metrics::journey::JourneyConfig::from_profile(profile).redacted(redactor),
        started_at,
        redactor: redactor.clone(),
        latency: latency_basis(profile, opts),
        stage_names: profile.load.stage_names.clone(),
        stages: profile.load.stages.clone(),
        watch_names: watch_names.to_vec(),
        segment: profile.load.segment,
    }
}

/// The HTTP client's options: protocol, TLS, connect timeout, keep-alive.
fn client_config(opts: &RunOptions) -> Result<ClientConfig, AppError> {
    let mut client = ClientConfig::new(opts.http2, opts.insecure)
        .map_err(|e| AppError::Runtime(anyhow::anyhow!(e)))?;
    client.connect_timeout = opts.connect_timeout;
    client.keep_alive = !opts.disable_keepalive;
    Ok(client)
}

/// What the engine needs: the prepared requests, the client, the schedule and its bounds.
fn engine_config(
    profile: &Profile,
    opts: &RunOptions,
    prepared: Arc<Prepared>,
    client: ClientConfig,
    max_duration: Option<Duration>,
    start: Instant,
    workers: VuWorkers,
) -> EngineConfig {
    EngineConfig {
        prepared,
        client,
        think: profile.defaults.think_time,
        stages: profile.load.stages.clone(),
        max_duration,
        graceful_stop: profile.load.graceful_stop,
        start,
        seed: rand::random(),
        request_budget: opts.requests,
        driven: opts.driven,
        model: profile.load.model,
        arrival: crate::engine::arrival::ArrivalLimits {
            max_vus: profile.load.max_vus,
            pre_allocated_vus: profile.load.pre_allocated_vus,
        },
        workers,
    }
}

/// The run's clock: now, or the agreed start of `--start-at`/`--start-after`
/// (in the future: the engine waits for it, and the aggregator's run time and
/// the snapshot's `started_at` begin there, so agents started together line up).
fn start_clock(opts: &RunOptions) -> Result<(Instant, chrono::DateTime<chrono::Utc>), AppError> {
    let (now, wall) = (Instant::now(), chrono::Utc::now());
    let at = crate::start_gate::start_time(opts.start_at, opts.start_after, wall)
        .map_err(|e| AppError::Usage(e.to_string()))?;
    match at.and_then(|at| (at - wall).to_std().ok()) {
        Some(wait) if !wait.is_zero() => Ok((
            now + wait,
            wall + chrono::Duration::from_std(wait).unwrap_or_default(),
        )),
        _ => Ok((now, wall)),
    }
}

/// The final snapshot could not be written where it was wanted.
#[derive(Debug)]
pub struct SnapshotFailure {
    /// The `--out` path (or the default one).
    pub wanted: PathBuf,
    /// Why writing there failed.
    pub error: String,
    /// Where the snapshot went instead, or why that failed too.
    pub fallback: Result<PathBuf, String>,
}

impl Session {
    /// Applies `opts` to `profile` and starts the engine, the aggregator and the samplers.
    ///
    /// Over 80 lines on purpose: it is the one place every channel of a run is
    /// made and handed to its sender and receiver, so the wiring reads top to
    /// bottom as in `src/lib.rs`'s map (each step before it is a function).
    pub fn start(
        mut profile: Profile,
        opts: &RunOptions,
        demo_pid: Option<u32>,
    ) -> Result<Session, AppError> {
        let max_duration = apply_options(&mut profile, opts)?;
        let prepared = prepare_requests(&profile)?;
        let client = client_config(opts)?;
        let (meta, target) = snapshot_meta(&profile, opts);
        let (start, started_at) = start_clock(opts)?;
        let final_path = output_path(opts, &profile, started_at)?;
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
            watch::channel(Arc::new(Dashboard::empty(&profile.name, &target)));
        let watch_names = watch_names(&profile, opts)?;
        let workers = start_workers(opts)?;
        let worker_threads = workers.threads();
        let memory = start_sysmon(opts, demo_pid, &watch_names, done.clone());
        let aggregator = crate::metrics::aggregator::spawn(
            aggregator_config(
                &profile,
                opts,
                target,
                start,
                started_at,
                &meta.redactor,
                &watch_names,
            ),
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
            engine_config(
                &profile,
                opts,
                prepared,
                client,
                max_duration,
                start,
                workers,
            ),
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
            worker_threads,
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
        let (snapshot, snapshot_failure) = match self.snapshot_path {
            Some(path) => write_final(path, record.clone(), self.snapshots.meta.clone()).await,
            None => (None, None),
        };
        let end = engine.context("the engine task failed")?;
        let mut summary = Summary::from_record(&record);
        summary.worker_threads = Some(self.worker_threads);
        Ok(RunOutput {
            end,
            record,
            summary,
            snapshot,
            snapshot_failure,
        })
    }
}

/// Refuses, before any request is sent, output paths that cannot be written: a
/// run whose results would be lost at the end is not worth starting.
/// Where the final snapshot goes (`--out`, or a name from the profile and the
/// time), once every output is known to be writable: a bad path is refused
/// before any request is sent.
fn output_path(
    opts: &RunOptions,
    profile: &Profile,
    started_at: chrono::DateTime<chrono::Utc>,
) -> Result<PathBuf, AppError> {
    let path = opts
        .out
        .clone()
        .unwrap_or_else(|| crate::snapshot::default_path(&profile.name, started_at));
    check_outputs(opts, &path)?;
    Ok(path)
}

fn check_outputs(opts: &RunOptions, snapshot: &std::path::Path) -> Result<(), AppError> {
    if !opts.no_snapshot {
        crate::fsutil::check_writable(snapshot).map_err(|e| {
            let how = if opts.out.is_some() {
                "pick another file with --out, or pass --no-snapshot"
            } else {
                "run from a writable directory, or pass --out FILE or --no-snapshot"
            };
            AppError::Usage(format!(
                "cannot write the snapshot to {}: {e}; {how}",
                snapshot.display()
            ))
        })?;
    }
    if let Some(path) = &opts.summary_json {
        crate::fsutil::check_writable(path).map_err(|e| {
            AppError::Usage(format!(
                "--summary-json {}: cannot write there: {e}; pick another file, or - for stdout",
                path.display()
            ))
        })?;
    }
    Ok(())
}

/// Writes the final snapshot to `path`; if that fails (a full disk, a folder
/// gone mid-run) writes it to the temp directory instead, so the run is never
/// lost. Returns where it went and, when `path` failed, why.
async fn write_final(
    path: PathBuf,
    record: RunRecord,
    meta: Arc<SnapshotMeta>,
) -> (Option<PathBuf>, Option<SnapshotFailure>) {
    let written = tokio::task::spawn_blocking(move || {
        let snapshot = Snapshot::from_record(&record, &meta);
        let error = match crate::snapshot::write(&path, &snapshot, meta.redactor.secrets()) {
            Ok(()) => return (Some(path), None),
            Err(e) => e.to_string(),
        };
        let fallback = fallback_path(&path).and_then(|f| {
            crate::snapshot::write(&f, &snapshot, meta.redactor.secrets()).map(|()| f)
        });
        match fallback {
            Ok(f) => (
                Some(f.clone()),
                Some(SnapshotFailure {
                    wanted: path,
                    error,
                    fallback: Ok(f),
                }),
            ),
            Err(e) => (
                None,
                Some(SnapshotFailure {
                    wanted: path,
                    error,
                    fallback: Err(e.to_string()),
                }),
            ),
        }
    })
    .await;
    written.unwrap_or_else(|e| {
        let failure = SnapshotFailure {
            wanted: PathBuf::new(),
            error: format!("the snapshot writer failed: {e}"),
            fallback: Err("not tried".into()),
        };
        (None, Some(failure))
    })
}

/// A fresh file in the temp directory named after `wanted`
/// (`/tmp/loadpilot-run-XXXXXX.json`), kept after the process ends.
fn fallback_path(wanted: &std::path::Path) -> Result<PathBuf, crate::snapshot::SnapshotError> {
    let name = wanted
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty())
        .unwrap_or("snapshot.json");
    let (stem, ext) = match name.split_once('.') {
        Some((stem, ext)) => (stem, format!(".{ext}")),
        None => (name, ".json".to_string()),
    };
    let dir = std::env::temp_dir();
    tempfile::Builder::new()
        .prefix(&format!("loadpilot-{stem}-"))
        .suffix(&ext)
        .tempfile_in(&dir)
        .and_then(|f| f.keep().map_err(|e| e.error))
        .map(|(_, path)| path)
        .map_err(|source| crate::snapshot::SnapshotError::Io { path: dir, source })
}

fn start_sysmon(
    opts: &RunOptions,
    demo_pid: Option<u32>,
    watch_names: &[String],
    done: CancellationToken,
) -> watch::Receiver<SystemStatus> {
    crate::sysmon::spawn(
        crate::sysmon::SysmonConfig {
            target_pid: opts.watch_pid.or(demo_pid),
            watch_url: opts.watch_url.clone(),
            watch_json_path: opts.watch_json_path.clone(),
            watch_every: opts.watch_every,
            watch_metrics: watch_names.to_vec(),
        },
        done,
    )
}

/// The `watch.NAME` metrics the thresholds (and find-limit's `--until`) read, each
/// once: read from `--watch-url`, so they need one, and at most [`MAX_WATCHED`].
///
/// [`MAX_WATCHED`]: crate::metrics::dashboard::MAX_WATCHED
fn watch_names(profile: &Profile, opts: &RunOptions) -> Result<Vec<String>, AppError> {
    let mut names: Vec<String> = Vec::new();
    let wanted = profile
        .thresholds
        .iter()
        .filter_map(|t| t.watch.as_ref())
        .chain(&opts.watch_metrics);
    for name in wanted {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    if let Some(first) = names.first()
        && opts.watch_url.is_none()
    {
        return Err(AppError::Usage(format!(
            "watch.{first} is read from a metrics endpoint: add --watch-url URL (Prometheus text)"
        )));
    }
    let max = crate::metrics::dashboard::MAX_WATCHED;
    if names.len() > max {
        return Err(AppError::Usage(format!(
            "{} watch.NAME metrics named; at most {max} can be watched",
            names.len()
        )));
    }
    Ok(names)
}

/// The snapshot's description of the run (its warnings printed once) and the
/// target's label. The URL and names kept in the record are redacted once, here,
/// so every output (summary, dashboard, snapshot, reports) shows the redacted form.
fn snapshot_meta(profile: &Profile, opts: &RunOptions) -> (Arc<SnapshotMeta>, String) {
    let meta = Arc::new(SnapshotMeta::new(profile, opts));
    for warning in &meta.warnings {
        eprintln!("warning: {warning}");
    }
    let target = meta
        .redactor
        .text(&crate::redact::redact_url(&target_label(profile)));
    (meta, target)
}

/// The threads VUs run on (`--threads`, `--scheduler`).
fn start_workers(opts: &RunOptions) -> Result<VuWorkers, AppError> {
    let threads = opts.threads.map_or_else(default_threads, usize::from);
    VuWorkers::start(opts.scheduler, threads)
        .map_err(|e| AppError::Runtime(anyhow::anyhow!("cannot start the VU worker threads: {e}")))
}

/// One VU thread per core when `--threads` is not given.
fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}
