//! The aggregator task: the one owner of histograms, counters and the per-second
//! series. It folds VU [`Batch`]es and [`EngineEvent`]s, closes a [`SecondRow`]
//! each second, publishes a [`Dashboard`] every [`PUBLISH_INTERVAL`], and when every
//! sender is gone (the run is over) returns the final [`RunRecord`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use crate::command::Command;
use crate::format::format_stat;
use crate::metrics::dashboard::{
    ClassStat, Dashboard, LogEntry, LogKind, MemoryStatus, RequestStat, RunMode, SecondRow,
    ThresholdStatus, Verdict,
};
use crate::metrics::journey::{JourneyConfig, JourneyStats};
use crate::metrics::recorder::Batch;
use crate::metrics::scope::ScopeStats;
use crate::metrics::series::SeriesStore;
use crate::outcome::OutcomeClass;
use crate::threshold::{Stat, Threshold};
use crate::vocab::{EngineEvent, EngineStatus};

/// How often a frame is published.
pub const PUBLISH_INTERVAL: Duration = Duration::from_millis(250);
/// The window of the "recent" threshold badges.
pub const RECENT_WINDOW_SECS: usize = 30;
/// Event-log entries carried in each frame.
const LOG_TAIL: usize = 200;
/// Event-log entries kept for the run record (operator actions are few; this bounds flapping alerts).
const LOG_CAP: usize = 10_000;
/// Seconds of class counts in each sparkline.
const TREND_SECS: usize = 60;

/// What the aggregator is told at start.
#[derive(Debug, Clone)]
pub struct AggregatorConfig {
    pub profile_name: String,
    pub target: String,
    pub request_names: Vec<String>,
    pub thresholds: Vec<Threshold>,
    /// Stop the run (cancel `stop`) as soon as a threshold fails.
    pub abort_on_fail: bool,
    /// When the run started; shared with the engine so times agree.
    pub start: Instant,
    /// Flow, metric, check and persona names (journeys work).
    pub journey: JourneyConfig,
    /// The same instant on the wall clock, for snapshots and reports.
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// Applied to every error message and log line as it arrives, so no output
    /// built from the record can show a secret.
    pub redactor: Arc<crate::redact::Redactor>,
}

/// The aggregator's inputs and outputs.
pub struct AggregatorChannels {
    /// From every VU's recorder; closes when the engine and all VUs have ended.
    pub batches: mpsc::Receiver<Batch>,
    /// From the engine; closes when the engine ends.
    pub events: mpsc::Receiver<EngineEvent>,
    /// Newest sample from `sysmon` (a dropped sender just freezes the figures).
    pub memory: watch::Receiver<MemoryStatus>,
    /// To the UI / headless progress; receivers see only the newest frame.
    pub publish: watch::Sender<Arc<Dashboard>>,
    /// Cancelled by the aggregator when `abort_on_fail` is set and a threshold fails;
    /// the engine treats it as a graceful stop.
    pub stop: CancellationToken,
    /// Mid-run snapshot requests: the aggregator replies with a copy of its state.
    /// Senders: the snapshot saver. Ends when every sender is dropped.
    pub snapshots: mpsc::Receiver<oneshot::Sender<RunRecord>>,
}

/// Status codes seen for one class, with counts (few distinct codes, so a Vec).
type StatusCounts = Vec<(u16, u64)>;

/// An operator command as the engine applied it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRecord {
    pub at: Duration,
    pub command: Command,
    pub vus_before: u32,
    pub vus_after: u32,
}

/// Everything the run measured, handed back when the aggregator ends (and copied
/// for mid-run snapshots).
#[derive(Debug, Clone)]
pub struct RunRecord {
    pub profile_name: String,
    pub target: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub duration: Duration,
    /// False for a mid-run copy.
    pub complete: bool,
    pub request_names: Vec<String>,
    pub overall: ScopeStats,
    pub per_request: Vec<ScopeStats>,
    pub by_status: Vec<StatusCounts>,
    pub last_message: Vec<Option<String>>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub series: Vec<SecondRow>,
    /// Each closed second's latency histogram, V2-deflate encoded (index = `t_s`).
    pub second_histograms: Vec<Vec<u8>>,
    /// Latency and classes per stage (index = stage), as the engine reported the stage.
    pub per_stage: Vec<ScopeStats>,
    pub log: Vec<LogEntry>,
    pub actions: Vec<ActionRecord>,
    pub thresholds: Vec<Threshold>,
    /// Whether `abort_on_fail` ended the run.
    pub aborted_by_threshold: bool,
    /// The last frame published.
    pub last_frame: Arc<Dashboard>,
    /// Flows, checks, custom metrics, range chunks.
    pub journey: JourneyStats,
}

impl RunRecord {
    /// A record of a run that measured nothing (yet).
    pub fn empty(profile_name: &str, target: &str) -> RunRecord {
        RunRecord {
            profile_name: profile_name.into(),
            target: target.into(),
            started_at: chrono::DateTime::UNIX_EPOCH,
            duration: Duration::ZERO,
            complete: true,
            journey: Default::default(),
            request_names: Vec::new(),
            overall: ScopeStats::default(),
            per_request: Vec::new(),
            by_status: vec![Vec::new(); OutcomeClass::COUNT],
            last_message: vec![None; OutcomeClass::COUNT],
            bytes_in: 0,
            bytes_out: 0,
            series: Vec::new(),
            second_histograms: Vec::new(),
            per_stage: Vec::new(),
            log: Vec::new(),
            actions: Vec::new(),
            thresholds: Vec::new(),
            aborted_by_threshold: false,
            last_frame: Arc::new(Dashboard::empty(profile_name, target)),
        }
    }

    /// The value threshold `t` reads from this run (ms, fraction or per second):
    /// over the whole run, for the request, flow or custom metric it names; `None`
    /// when that recorded nothing (see [`ScopeStats::reading`]).
    pub fn threshold_value(&self, t: &Threshold) -> Option<f64> {
        let scope = threshold_scope(
            t,
            &self.request_names,
            &self.per_request,
            &self.overall,
            &self.journey,
        );
        scope.and_then(|s| s.reading(t.stat, self.duration.as_secs_f64()))
    }
}

/// The statistics a threshold reads: the request, flow or custom metric it names,
/// or the whole run; `None` for a name that matches nothing.
fn threshold_scope<'a>(
    t: &Threshold,
    request_names: &[String],
    per_request: &'a [ScopeStats],
    overall: &'a ScopeStats,
    journey: &'a JourneyStats,
) -> Option<&'a ScopeStats> {
    match &t.request {
        Some(name) => request_names
            .iter()
            .position(|n| n == name)
            .and_then(|i| per_request.get(i))
            // A flow or custom metric (journeys).
            .or_else(|| journey.scope(name)),
        None => Some(overall),
    }
}

/// The limits of whole-run latency thresholds, drawn as lines on the latency chart.
pub fn latency_limits(thresholds: &[Threshold]) -> Vec<(String, f64)> {
    thresholds
        .iter()
        .filter(|t| t.request.is_none() && matches!(t.stat, Stat::Percentile { .. } | Stat::Mean))
        .map(|t| (t.expr.clone(), t.limit))
        .collect()
}

/// The open second being accumulated.
struct OpenSecond {
    t_s: u32,
    /// Index 0: overall; then one per request that a threshold names (see `scope_slot`).
    scopes: Vec<ScopeStats>,
    per_request_counts: Vec<u64>,
    bytes_in: u64,
    bytes_out: u64,
}

pub struct Aggregator {
    config: AggregatorConfig,
    overall: ScopeStats,
    per_request: Vec<ScopeStats>,
    by_status: Vec<StatusCounts>,
    last_message: Vec<Option<String>>,
    seen_class: [bool; OutcomeClass::COUNT],
    bytes_in: u64,
    bytes_out: u64,
    open: OpenSecond,
    /// Request index → slot in `OpenSecond::scopes`, for requests a threshold names.
    scope_slot: Vec<Option<usize>>,
    /// The last closed seconds' scopes, newest last, for the recent-window badges.
    recent: VecDeque<Vec<ScopeStats>>,
    last_second_requests: Vec<u64>,
    series: SeriesStore,
    second_histograms: Vec<Vec<u8>>,
    per_stage: Vec<ScopeStats>,
    actions: Vec<ActionRecord>,
    engine: EngineStatus,
    memory: MemoryStatus,
    log: Vec<LogEntry>,
    verdicts: Vec<Verdict>,
    rps_peak: f64,
    aborted_by_threshold: bool,
    journey: JourneyStats,
}

impl Aggregator {
    pub fn new(config: AggregatorConfig) -> Aggregator {
        let n = config.request_names.len();
        let mut scope_slot = vec![None; n];
        let mut slots = 1;
        for t in &config.thresholds {
            if let Some(i) = t
                .request
                .as_ref()
                .and_then(|r| config.request_names.iter().position(|n| n == r))
                && scope_slot[i].is_none()
            {
                scope_slot[i] = Some(slots);
                slots += 1;
            }
        }
        let verdicts = vec![Verdict::NoData; config.thresholds.len()];
        Aggregator {
            overall: ScopeStats::default(),
            per_request: (0..n).map(|_| ScopeStats::default()).collect(),
            by_status: vec![Vec::new(); OutcomeClass::COUNT],
            last_message: vec![None; OutcomeClass::COUNT],
            seen_class: [false; OutcomeClass::COUNT],
            bytes_in: 0,
            bytes_out: 0,
            open: OpenSecond {
                t_s: 0,
                scopes: (0..slots).map(|_| ScopeStats::default()).collect(),
                per_request_counts: vec![0; n],
                bytes_in: 0,
                bytes_out: 0,
            },
            scope_slot,
            recent: VecDeque::with_capacity(RECENT_WINDOW_SECS + 1),
            last_second_requests: vec![0; n],
            series: SeriesStore::default(),
            second_histograms: Vec::new(),
            per_stage: Vec::new(),
            actions: Vec::new(),
            engine: EngineStatus::default(),
            memory: MemoryStatus::default(),
            log: Vec::new(),
            verdicts,
            rps_peak: 0.0,
            aborted_by_threshold: false,
            journey: JourneyStats::new(config.journey.clone()),
            config,
        }
    }

    /// Runs until the batch and event channels have both closed.
    pub async fn run(mut self, mut ch: AggregatorChannels) -> RunRecord {
        let mut tick = tokio::time::interval(PUBLISH_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let (mut batches_open, mut events_open, mut snapshots_open) = (true, true, true);
        while batches_open || events_open {
            tokio::select! {
                request = ch.snapshots.recv(), if snapshots_open => match request {
                    Some(reply) => {
                        let now = self.config.start.elapsed();
                        let _ = reply.send(self.record_now(now));
                    }
                    None => snapshots_open = false,
                },
                batch = ch.batches.recv(), if batches_open => match batch {
                    Some(batch) => self.fold(&batch),
                    None => batches_open = false,
                },
                event = ch.events.recv(), if events_open => match event {
                    Some(event) => self.apply_event(event),
                    None => events_open = false,
                },
                _ = tick.tick() => {
                    self.memory = *ch.memory.borrow();
                    self.advance_clock(self.config.start.elapsed());
                    if self.config.abort_on_fail && !self.aborted_by_threshold && self.verdicts.contains(&Verdict::Fail) {
                        self.aborted_by_threshold = true;
                        self.push_log(LogKind::Alert, "a threshold failed and abort_on_fail is set: stopping".into());
                        ch.stop.cancel();
                    }
                    ch.publish.send_replace(Arc::new(self.frame()));
                }
            }
        }
        let duration = self.config.start.elapsed();
        self.close_second(duration);
        self.engine.mode = RunMode::Done;
        self.engine.vus_active = 0;
        let frame = Arc::new(self.frame_at(duration));
        ch.publish.send_replace(frame.clone());
        self.into_record(duration, frame)
    }

    /// A copy of everything so far, for a mid-run snapshot.
    fn record_now(&self, elapsed: Duration) -> RunRecord {
        let frame = Arc::new(self.frame_at(elapsed));
        RunRecord {
            profile_name: self.config.profile_name.clone(),
            target: self.config.target.clone(),
            started_at: self.config.started_at,
            duration: elapsed,
            complete: false,
            request_names: self.config.request_names.clone(),
            overall: self.overall.clone(),
            per_request: self.per_request.clone(),
            by_status: self.by_status.clone(),
            last_message: self.last_message.clone(),
            bytes_in: self.bytes_in,
            bytes_out: self.bytes_out,
            series: self.series.rows(),
            second_histograms: self.second_histograms.clone(),
            per_stage: self.per_stage.clone(),
            log: self.log.clone(),
            actions: self.actions.clone(),
            thresholds: self.config.thresholds.clone(),
            aborted_by_threshold: self.aborted_by_threshold,
            last_frame: frame,
            journey: self.journey.clone(),
        }
    }

    /// Folds one VU batch into the open second and the run totals.
    pub fn fold(&mut self, batch: &Batch) {
        let stage = self.engine.stage.index;
        if self.per_stage.len() <= stage {
            self.per_stage.resize_with(stage + 1, ScopeStats::default);
        }
        for s in &batch.samples {
            self.per_stage[stage].add(s);
            let r = usize::from(s.request);
            self.overall.add(s);
            self.open.scopes[0].add(s);
            if let Some(stats) = self.per_request.get_mut(r) {
                stats.add(s);
                self.open.per_request_counts[r] += 1;
                if let Some(slot) = self.scope_slot[r] {
                    self.open.scopes[slot].add(s);
                }
            }
            if s.class.is_error() {
                self.count_status(s.class, s.status);
            }
        }
        self.bytes_in += batch.bytes_in;
        self.bytes_out += batch.bytes_out;
        self.open.bytes_in += batch.bytes_in;
        self.open.bytes_out += batch.bytes_out;
        for (class, message) in &batch.messages {
            let i = class.index();
            let message = self.config.redactor.text(message);
            if !self.seen_class[i] {
                self.seen_class[i] = true;
                self.push_log(
                    LogKind::FirstError,
                    format!("first {} error: {message}", class.label()),
                );
            }
            self.last_message[i] = Some(message);
        }
        for line in self.journey.fold(&batch.journey) {
            self.push_log(LogKind::FirstError, line);
        }
    }

    fn count_status(&mut self, class: OutcomeClass, status: u16) {
        if status == 0 {
            return;
        }
        let counts = &mut self.by_status[class.index()];
        match counts.iter_mut().find(|(code, _)| *code == status) {
            Some((_, n)) => *n += 1,
            None => {
                counts.push((status, 1));
                counts.sort_unstable();
            }
        }
    }

    pub fn apply_event(&mut self, event: EngineEvent) {
        match event {
            EngineEvent::Status(status) => self.engine = status,
            EngineEvent::Applied {
                command,
                vus_before,
                vus_after,
            } => {
                let kind = match command {
                    Command::Annotate { .. } => LogKind::Annotation,
                    _ => LogKind::Operator,
                };
                let text = if vus_before == vus_after {
                    command.describe()
                } else {
                    format!("{} (VUs {vus_before} → {vus_after})", command.describe())
                };
                self.push_log(kind, text);
                self.actions.push(ActionRecord {
                    at: self.config.start.elapsed(),
                    command,
                    vus_before,
                    vus_after,
                });
            }
            EngineEvent::Log { kind, text } => self.push_log(kind, text),
        }
    }

    fn push_log(&mut self, kind: LogKind, text: String) {
        if self.log.len() < LOG_CAP {
            let text = self.config.redactor.text(&text);
            self.log.push(LogEntry {
                at: self.config.start.elapsed(),
                kind,
                text,
            });
        }
    }

    /// Closes every second that has fully passed by `elapsed`.
    pub fn advance_clock(&mut self, elapsed: Duration) {
        let now_s = elapsed.as_secs() as u32;
        while self.open.t_s < now_s {
            self.close_second(elapsed);
        }
    }

    fn close_second(&mut self, elapsed: Duration) {
        let open = &mut self.open;
        let overall = &open.scopes[0];
        // The last, partial second of a run is scaled by its length for rps.
        let covered = (elapsed.as_secs_f64() - f64::from(open.t_s)).clamp(0.001, 1.0);
        let row = SecondRow {
            t_s: open.t_s,
            requests: overall.requests(),
            classes: overall.classes,
            latency: overall.percentiles(),
            vus: self.engine.vus_active,
            target_vus: self.engine.vus_target,
            bytes_in: open.bytes_in,
            bytes_out: open.bytes_out,
            host_mem_used: self.memory.host_used,
            host_mem_total: self.memory.host_total,
            target_rss: self.memory.target_rss.unwrap_or(0),
        };
        self.rps_peak = self.rps_peak.max(row.requests as f64 / covered);
        self.series.push(row);
        self.second_histograms
            .push(crate::metrics::hist_codec::encode(&overall.hist));
        self.last_second_requests
            .copy_from_slice(&open.per_request_counts);
        open.per_request_counts.fill(0);
        open.bytes_in = 0;
        open.bytes_out = 0;
        open.t_s += 1;
        if !self.config.thresholds.is_empty() {
            // Keep the closed second's scopes for the recent window, reusing the
            // oldest entry's histograms once the window is full.
            let mut spare = if self.recent.len() >= RECENT_WINDOW_SECS {
                self.recent.pop_front().expect("window is full")
            } else {
                open.scopes.iter().map(|_| ScopeStats::default()).collect()
            };
            std::mem::swap(&mut spare, &mut open.scopes);
            self.recent.push_back(spare);
            for s in &mut open.scopes {
                s.reset();
            }
            self.update_verdicts();
        } else {
            for s in &mut open.scopes {
                s.reset();
            }
        }
    }

    fn update_verdicts(&mut self) {
        for i in 0..self.config.thresholds.len() {
            let t = &self.config.thresholds[i];
            let reading = self.run_value(t);
            let verdict = verdict(t, reading);
            let value = reading.unwrap_or(0.0);
            let before = self.verdicts[i];
            if verdict == Verdict::Fail && before != Verdict::Fail {
                let text = format!(
                    "threshold {} failed (now {})",
                    t.expr,
                    format_stat(t.stat, value)
                );
                self.push_log(LogKind::ThresholdBreach, text);
            } else if verdict != Verdict::Fail && before == Verdict::Fail {
                let text = format!(
                    "threshold {} recovered (now {})",
                    t.expr,
                    format_stat(t.stat, value)
                );
                self.push_log(LogKind::ThresholdRecovered, text);
            }
            self.verdicts[i] = verdict;
        }
    }

    fn run_value(&self, t: &Threshold) -> Option<f64> {
        let scope = threshold_scope(
            t,
            &self.config.request_names,
            &self.per_request,
            &self.overall,
            &self.journey,
        );
        let secs = self.config.start.elapsed().as_secs_f64();
        scope.and_then(|s| s.reading(t.stat, secs))
    }

    fn recent_value(&self, t: &Threshold) -> Option<f64> {
        let slot = match &t.request {
            Some(name) => self
                .config
                .request_names
                .iter()
                .position(|n| n == name)
                .and_then(|i| self.scope_slot[i]),
            None => Some(0),
        };
        let Some(slot) = slot else {
            // Flows and custom metrics keep no per-second window: the run value stands in.
            return self.run_value(t);
        };
        let mut merged = ScopeStats::default();
        for second in &self.recent {
            merged.merge(&second[slot]);
        }
        merged.reading(t.stat, self.recent.len().max(1) as f64)
    }

    fn frame(&self) -> Dashboard {
        self.frame_at(self.config.start.elapsed())
    }

    fn frame_at(&self, elapsed: Duration) -> Dashboard {
        let series = self.series.view();
        let last = series.last().copied().unwrap_or_default();
        let rows: Vec<&SecondRow> = series.iter().rev().take(TREND_SECS).collect();
        let requests = self.overall.requests();
        let error_classes = OutcomeClass::errors()
            .map(|class| {
                let i = class.index();
                let count = self.overall.classes[i];
                ClassStat {
                    class,
                    count,
                    per_sec: last.classes[i],
                    share: if requests == 0 {
                        0.0
                    } else {
                        count as f64 / requests as f64
                    },
                    trend: rows.iter().rev().map(|r| r.classes[i]).collect(),
                    by_status: self.by_status[i].clone(),
                    last_message: self.last_message[i].clone(),
                }
            })
            .collect();
        let request_stats = self
            .config
            .request_names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let stats = &self.per_request[i];
                let threshold = self
                    .config
                    .thresholds
                    .iter()
                    .zip(&self.verdicts)
                    .filter(|(t, _)| t.request.as_deref() == Some(name))
                    .map(|(_, v)| *v)
                    .max_by_key(|v| verdict_rank(*v));
                RequestStat {
                    name: name.clone(),
                    count: stats.requests(),
                    errors: stats.errors(),
                    rps: self.last_second_requests[i] as f64,
                    latency: stats.percentiles(),
                    threshold,
                }
            })
            .collect();
        let thresholds = self
            .config
            .thresholds
            .iter()
            .zip(&self.verdicts)
            .map(|(t, v)| {
                let recent = self.recent_value(t);
                ThresholdStatus {
                    expr: t.expr.clone(),
                    run: *v,
                    run_value: self.run_value(t).unwrap_or(0.0),
                    recent: verdict(t, recent),
                    recent_value: recent.unwrap_or(0.0),
                }
            })
            .collect();
        let latency_limits_ms = latency_limits(&self.config.thresholds);
        let log_from = self.log.len().saturating_sub(LOG_TAIL);
        Dashboard {
            profile_name: self.config.profile_name.clone(),
            target: self.config.target.clone(),
            elapsed,
            planned: self.engine.planned,
            stage: self.engine.stage,
            mode: self.engine.mode,
            vus_active: self.engine.vus_active,
            vus_target: self.engine.vus_target,
            series,
            requests,
            classes: self.overall.classes,
            bytes_in: self.bytes_in,
            bytes_out: self.bytes_out,
            latency: self.overall.percentiles(),
            rps_now: last.requests as f64,
            rps_peak: self.rps_peak,
            error_classes,
            request_stats,
            thresholds,
            latency_limits_ms,
            memory: self.memory,
            log: self.log[log_from..].to_vec(),
        }
    }

    fn into_record(self, duration: Duration, last_frame: Arc<Dashboard>) -> RunRecord {
        RunRecord {
            profile_name: self.config.profile_name,
            target: self.config.target,
            started_at: self.config.started_at,
            duration,
            complete: true,
            request_names: self.config.request_names,
            overall: self.overall,
            per_request: self.per_request,
            by_status: self.by_status,
            last_message: self.last_message,
            bytes_in: self.bytes_in,
            bytes_out: self.bytes_out,
            series: self.series.rows(),
            second_histograms: self.second_histograms,
            per_stage: self.per_stage,
            log: self.log,
            actions: self.actions,
            thresholds: self.config.thresholds,
            aborted_by_threshold: self.aborted_by_threshold,
            last_frame,
            journey: self.journey,
        }
    }
}

fn verdict_rank(v: Verdict) -> u8 {
    match v {
        Verdict::Pass => 0,
        Verdict::NoData => 1,
        Verdict::Near => 2,
        Verdict::Fail => 3,
    }
}

/// Pass / near / fail of a reading against `t`; no data (`None`) is `NoData`
/// (which the final summary fails unless `allow_empty`).
pub fn verdict(t: &Threshold, reading: Option<f64>) -> Verdict {
    let Some(value) = reading else {
        return Verdict::NoData;
    };
    if !t.holds(value) {
        Verdict::Fail
    } else if t.is_near(value) {
        Verdict::Near
    } else {
        Verdict::Pass
    }
}

/// Starts the aggregator task.
pub fn spawn(
    config: AggregatorConfig,
    channels: AggregatorChannels,
) -> tokio::task::JoinHandle<RunRecord> {
    tokio::spawn(Aggregator::new(config).run(channels))
}
