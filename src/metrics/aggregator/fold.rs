//! The fold: batches and engine events into whole-run totals (a [`RunRecord`] under
//! construction), the open second, the per-second series and threshold verdicts.
//! No clock is read here: the caller says what time it is.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use crate::command::Command;
use crate::format::format_stat;
use crate::metrics::chart_latency::SlidingLatency;
use crate::metrics::dashboard::{
    Dashboard, LogEntry, LogKind, RunMode, SecondRow, SystemStatus, Verdict,
};
use crate::metrics::health::{HealthSample, HealthSeries};
use crate::metrics::journey::JourneyStats;
use crate::metrics::record::{ActionRecord, RunRecord};
use crate::metrics::recorder::Batch;
use crate::metrics::run_tables::RunTables;
use crate::metrics::sample::Sample;
use crate::metrics::scope::ScopeStats;
use crate::metrics::series::SeriesStore;
use crate::metrics::window::WindowTracker;
use crate::outcome::OutcomeClass;
use crate::threshold::ThresholdScope;
use crate::vocab::{EngineEvent, EngineStatus, LatencyBasis, LoadModel};

use super::{AggregatorConfig, RECENT_WINDOW_SECS};

/// Event-log entries kept for the run record (operator actions are few; this bounds flapping alerts).
const LOG_CAP: usize = 10_000;

/// The open second being accumulated.
pub(super) struct OpenSecond {
    pub(super) t_s: u32,
    /// Index 0: overall; then one per request that a threshold names (see `scope_slot`).
    pub(super) scopes: Vec<ScopeStats>,
    pub(super) per_request_counts: Vec<u64>,
    pub(super) bytes_in: u64,
    pub(super) bytes_out: u64,
}

/// The aggregator's state. Inputs: [`Aggregator::fold`], [`Aggregator::apply_event`],
/// [`Aggregator::set_memory`], and the run time through [`Aggregator::set_time`] /
/// [`Aggregator::advance_clock`]. Outputs: [`Aggregator::frame`],
/// [`Aggregator::record_now`], [`Aggregator::finish`].
pub struct Aggregator {
    /// The whole-run totals, log, actions, per-stage scopes and closed seconds'
    /// histograms, kept as the record they end up in. Its `series`, `duration`,
    /// `complete` and `last_frame` are placeholders until a record is handed out.
    pub(super) record: RunRecord,
    /// The run time, as the caller last said.
    pub(super) now: Duration,
    pub(super) abort_on_fail: bool,
    seen_class: [bool; OutcomeClass::COUNT],
    pub(super) open: OpenSecond,
    /// Request index → slot in `OpenSecond::scopes`, for requests a threshold names.
    pub(super) scope_slot: Vec<Option<usize>>,
    /// The last closed seconds' scopes, newest last, for the recent-window badges.
    pub(super) recent: VecDeque<Vec<ScopeStats>>,
    pub(super) last_second_requests: Vec<u64>,
    pub(super) series: SeriesStore,
    pub(super) engine: EngineStatus,
    pub(super) memory: SystemStatus,
    /// Whole-run verdict per threshold, updated as each second closes.
    pub(super) verdicts: Vec<Verdict>,
    pub(super) rps_peak: f64,
    /// Applied to every error message and log line as it arrives, so no output
    /// built from the record can show a secret.
    pub(super) redactor: Arc<crate::redact::Redactor>,
    /// `--expected-interval` (closed model): latencies are recorded corrected.
    expected_interval_us: Option<u64>,
    /// Per threshold: the sliding window's worst so far (`p95_1m`), if it has one.
    pub(super) windows: Vec<Option<WindowTracker>>,
    /// Per threshold, each closed second's window breach (as `windows` judged
    /// it), so the stages pane's recoveries do not merge every window again.
    pub(super) window_breaches: Vec<Vec<Option<bool>>>,
    /// The stages and journeys panes' rows as of the last closed second.
    pub(super) tables: Arc<RunTables>,
    /// Latency over the charts' windows, moved a second at a time.
    pub(super) chart_latency: SlidingLatency,
    /// `--segment`, copied into every frame.
    pub(super) segment: Option<crate::segment::Segment>,
}

impl Aggregator {
    pub fn new(config: AggregatorConfig) -> Aggregator {
        let n = config.request_names.len();
        let (scope_slot, slots) = scope_slots(&config);
        let verdicts = vec![Verdict::NoData; config.thresholds.len()];
        let window_breaches = vec![Vec::new(); config.thresholds.len()];
        let windows = config
            .thresholds
            .iter()
            .map(|t| t.window_s.map(|_| WindowTracker::default()))
            .collect();
        let latency = config.latency;
        let record = RunRecord {
            started_at: config.started_at,
            complete: false,
            request_names: config.request_names,
            per_request: (0..n).map(|_| ScopeStats::default()).collect(),
            thresholds: config.thresholds,
            journey: JourneyStats::new(config.journey),
            latency,
            health: HealthSeries::new(config.watch_names),
            stage_names: config.stage_names,
            stages: config.stages,
            ..RunRecord::empty(&config.profile_name, &config.target)
        };
        Aggregator {
            record,
            now: Duration::ZERO,
            abort_on_fail: config.abort_on_fail,
            seen_class: [false; OutcomeClass::COUNT],
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
            engine: EngineStatus::default(),
            memory: SystemStatus::default(),
            verdicts,
            rps_peak: 0.0,
            redactor: config.redactor,
            expected_interval_us: match latency {
                LatencyBasis::Corrected { interval_us } => Some(interval_us.max(1)),
                _ => None,
            },
            window_breaches,
            windows,
            tables: Arc::default(),
            chart_latency: SlidingLatency::default(),
            segment: config.segment,
        }
    }

    /// Sets the run time that log entries, actions and `rps` read, without
    /// closing seconds (seconds close on [`Aggregator::advance_clock`]).
    pub fn set_time(&mut self, elapsed: Duration) {
        self.now = elapsed;
    }

    /// Sets the run time and closes every second that has fully passed by it.
    pub fn advance_clock(&mut self, elapsed: Duration) {
        self.set_time(elapsed);
        let now_s = elapsed.as_secs() as u32;
        if self.open.t_s < now_s {
            while self.open.t_s < now_s {
                self.close_second();
            }
            self.refresh_tables();
        }
    }

    /// The newest memory sample; rows closed from now on carry it.
    pub fn set_memory(&mut self, memory: SystemStatus) {
        self.memory = memory;
    }

    /// Keeps a fresh system sample, stamped with the run time, for health thresholds.
    pub fn record_health(&mut self, status: &SystemStatus) {
        if let Some(sample) = HealthSample::from_status(self.now, status) {
            self.record.health.push(sample);
        }
    }

    /// Folds one VU batch into the open second and the run totals.
    pub fn fold(&mut self, batch: &Batch) {
        let stage = self.engine.stage.index;
        let rec = &mut self.record;
        if rec.per_stage.len() <= stage {
            rec.per_stage.resize_with(stage + 1, ScopeStats::default);
        }
        // Closed model with `--expected-interval`: the corrected record.
        let add = |stats: &mut ScopeStats, s: &Sample| match self.expected_interval_us {
            Some(interval) if s.schedule_delay_us.is_none() => stats.add_corrected(s, interval),
            _ => stats.add(s),
        };
        for s in &batch.samples {
            add(&mut rec.per_stage[stage], s);
            let r = usize::from(s.request);
            add(&mut rec.overall, s);
            add(&mut self.open.scopes[0], s);
            if let Some(stats) = rec.per_request.get_mut(r) {
                add(stats, s);
                self.open.per_request_counts[r] += 1;
                if let Some(slot) = self.scope_slot[r] {
                    add(&mut self.open.scopes[slot], s);
                }
            }
            // Successes keep their codes too (200×n, 201×m); no response, no code.
            if s.status != 0 {
                count_status(&mut rec.by_status[s.class.index()], s.status);
            }
        }
        // The dispatcher's last batch may hold only drops (arrivals still waiting
        // when the run ended), so either count is enough.
        if batch.arrivals > 0 || batch.dropped.iter().any(|&n| n > 0) {
            rec.per_stage[stage].add_arrivals(batch.arrivals, &batch.dropped);
            rec.overall.add_arrivals(batch.arrivals, &batch.dropped);
            self.open.scopes[0].add_arrivals(batch.arrivals, &batch.dropped);
        }
        rec.bytes_in += batch.bytes_in;
        rec.bytes_out += batch.bytes_out;
        self.open.bytes_in += batch.bytes_in;
        self.open.bytes_out += batch.bytes_out;
        for (class, message) in &batch.messages {
            let i = class.index();
            let message = self.redactor.text(message);
            if !self.seen_class[i] {
                self.seen_class[i] = true;
                self.push_log(
                    LogKind::FirstError,
                    format!("first {} error: {message}", class.label()),
                );
            }
            self.record.last_message[i] = Some(message);
        }
        for line in self.record.journey.fold(&batch.journey) {
            self.push_log(LogKind::FirstError, line);
        }
    }

    pub fn apply_event(&mut self, event: EngineEvent) {
        match event {
            EngineEvent::Status(status) => {
                // Each stage reached starts now (a skipped one as well, lasting 0 s).
                let starts = &mut self.record.stage_starts;
                while starts.len() <= status.stage.index {
                    starts.push(self.now);
                }
                self.engine = status;
            }
            EngineEvent::Applied {
                command,
                vus_before,
                vus_after,
            } => {
                let kind = match command {
                    Command::Annotate { .. } => LogKind::Annotation,
                    _ => LogKind::Operator,
                };
                // From a switch to the open model on, requests are timed from
                // their intended start (a closed-model request starts when
                // intended, so the earlier ones measure the same).
                if matches!(command, Command::SwitchToRate { .. })
                    && self.record.latency == LatencyBasis::Service
                {
                    self.record.latency = LatencyBasis::IntendedStart;
                }
                let model = self.engine.model;
                let text = if let Some(text) = switch_text(&command, vus_before, vus_after) {
                    text
                } else if vus_before == vus_after {
                    command.describe_for(model)
                } else {
                    match model {
                        LoadModel::Vus => {
                            format!("{} (VUs {vus_before} → {vus_after})", command.describe())
                        }
                        LoadModel::Rate => format!(
                            "{} (rate {vus_before}/s → {vus_after}/s)",
                            command.describe_for(model)
                        ),
                    }
                };
                self.push_log(kind, text);
                self.record.actions.push(ActionRecord {
                    at: self.now,
                    command,
                    vus_before,
                    vus_after,
                });
            }
            EngineEvent::Log { kind, text } => self.push_log(kind, text),
        }
    }

    pub(super) fn push_log(&mut self, kind: LogKind, text: String) {
        if self.record.log.len() < LOG_CAP {
            let text = self.redactor.text(&text);
            self.record.log.push(LogEntry {
                at: self.now,
                kind,
                text,
            });
        }
    }

    /// When `abort_on_fail` is set and a threshold has failed, logs it once and
    /// returns true (the caller stops the run); false otherwise and ever after.
    pub fn abort_if_failed(&mut self) -> bool {
        if !self.abort_on_fail
            || self.record.aborted_by_threshold
            || !self.verdicts.contains(&Verdict::Fail)
        {
            return false;
        }
        self.record.aborted_by_threshold = true;
        self.push_log(
            LogKind::Alert,
            "a threshold failed and abort_on_fail is set: stopping".into(),
        );
        true
    }

    /// Rebuilds the stages and journeys panes' rows (once a second: they read
    /// histograms, too costly for every frame).
    fn refresh_tables(&mut self) {
        self.tables = Arc::new(RunTables::live(
            &self.record,
            self.now,
            &self.series,
            &self.window_breaches,
        ));
    }

    /// Closes the open second into a series row, its histogram and the recent window.
    fn close_second(&mut self) {
        let row = self.open_row();
        // The last, partial second of a run is scaled by its length for rps.
        let covered = (self.now.as_secs_f64() - f64::from(row.t_s)).clamp(0.001, 1.0);
        self.rps_peak = self.rps_peak.max(row.requests as f64 / covered);
        self.series.push(row);
        let open = &mut self.open;
        self.record
            .second_histograms
            .push(crate::metrics::hist_codec::encode(&open.scopes[0].hist));
        self.chart_latency
            .push(&open.scopes[0].hist, &self.record.second_histograms);
        self.last_second_requests
            .copy_from_slice(&open.per_request_counts);
        open.per_request_counts.fill(0);
        open.bytes_in = 0;
        open.bytes_out = 0;
        open.t_s += 1;
        let trackers = self.record.thresholds.iter().zip(&mut self.windows);
        for ((t, window), breaches) in trackers.zip(&mut self.window_breaches) {
            if let Some(window) = window {
                window.push(t, &open.scopes[0]);
                breaches.push(window.breach(t));
            }
        }
        if !self.record.thresholds.is_empty() {
            // Keep the closed second's scopes for the recent window, reusing the
            // oldest entry's histograms once the window is full.
            let mut spare = if self.recent.len() >= RECENT_WINDOW_SECS {
                self.recent.pop_front().expect("window is full")
            } else {
                open.scopes.iter().map(|_| ScopeStats::default()).collect()
            };
            std::mem::swap(&mut spare, &mut open.scopes);
            self.recent.push_back(spare);
        }
        for s in &mut self.open.scopes {
            s.reset();
        }
        if !self.record.thresholds.is_empty() {
            self.update_verdicts();
        }
    }

    /// The open second as a series row.
    fn open_row(&self) -> SecondRow {
        let overall = &self.open.scopes[0];
        SecondRow {
            t_s: self.open.t_s,
            requests: overall.requests(),
            classes: overall.classes,
            latency: overall.percentiles(),
            service: overall.service_percentiles(),
            dropped: overall.dropped_total(),
            vus: self.engine.vus_active,
            target_vus: self.engine.vus_target,
            bytes_in: self.open.bytes_in,
            bytes_out: self.open.bytes_out,
            host_mem_used: self.memory.host_used,
            host_mem_total: self.memory.host_total,
            target_rss: self.memory.target_rss.unwrap_or(0),
        }
    }

    /// Judges every threshold over the run so far; logs breaches and recoveries.
    fn update_verdicts(&mut self) {
        for i in 0..self.record.thresholds.len() {
            let t = &self.record.thresholds[i];
            let reading = self.run_value(t);
            let verdict = t.verdict(reading);
            let value = reading.unwrap_or(0.0);
            let before = self.verdicts[i];
            let change = if verdict == Verdict::Fail && before != Verdict::Fail {
                Some((LogKind::ThresholdBreach, "failed"))
            } else if verdict != Verdict::Fail && before == Verdict::Fail {
                Some((LogKind::ThresholdRecovered, "recovered"))
            } else {
                None
            };
            if let Some((kind, what)) = change {
                let text = format!(
                    "threshold {} {what} (now {})",
                    t.expr,
                    format_stat(t.stat, value)
                );
                self.push_log(kind, text);
            }
            self.verdicts[i] = verdict;
        }
    }

    /// A copy of everything so far, for a mid-run snapshot.
    pub fn record_now(&self) -> RunRecord {
        RunRecord {
            duration: self.now,
            complete: false,
            series: self.series.rows(),
            last_frame: Arc::new(self.frame()),
            ..self.record.clone()
        }
    }

    /// Ends the run at `elapsed`: closes the last (partial) second, reports the
    /// run DONE with no VU active, and returns the record with that final frame.
    pub fn finish(mut self, elapsed: Duration) -> RunRecord {
        self.set_time(elapsed);
        self.close_second();
        self.refresh_tables();
        self.engine.mode = RunMode::Done;
        self.engine.vus_active = 0;
        let last_frame: Arc<Dashboard> = Arc::new(self.frame());
        RunRecord {
            duration: elapsed,
            complete: true,
            series: self.series.rows(),
            last_frame,
            ..self.record
        }
    }
}

/// Slots in `OpenSecond::scopes`: 0 is the whole run, then one per request that a
/// threshold names (in the order thresholds name them). Returns the slot of each
/// request (`None`: no threshold names it) and the number of slots.
fn scope_slots(config: &AggregatorConfig) -> (Vec<Option<usize>>, usize) {
    let mut scope_slot = vec![None; config.request_names.len()];
    let mut slots = 1;
    for t in &config.thresholds {
        if let ThresholdScope::Request(i) = t.scope(&config.request_names, &config.stage_names)
            && scope_slot[i].is_none()
        {
            scope_slot[i] = Some(slots);
            slots += 1;
        }
    }
    (scope_slot, slots)
}

/// The log line of a model switch, naming both ends in their units
/// (`switch to arrival rate 120/s (10 VUs → 120/s)`); `None` for other commands.
fn switch_text(command: &Command, before: u32, after: u32) -> Option<String> {
    let (from, to) = match command {
        Command::SwitchToRate { .. } => (LoadModel::Vus, LoadModel::Rate),
        Command::SwitchToVus => (LoadModel::Rate, LoadModel::Vus),
        _ => return None,
    };
    Some(format!(
        "{} ({} → {})",
        command.describe(),
        from.format_target(before),
        to.format_target(after)
    ))
}

/// Counts one error's status code (0: none, e.g. a timeout) in its class's list.
fn count_status(counts: &mut Vec<(u16, u64)>, status: u16) {
    if status == 0 {
        return;
    }
    match counts.iter_mut().find(|(code, _)| *code == status) {
        Some((_, n)) => *n += 1,
        None => {
            counts.push((status, 1));
            counts.sort_unstable();
        }
    }
}
