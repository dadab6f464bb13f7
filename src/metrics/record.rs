//! [`RunRecord`]: everything a run measured. The aggregator builds one while the run
//! goes (it is the aggregator's whole-run state), clones it for a mid-run snapshot
//! and hands it back when the run ends; snapshots, reports and the viewer read it.

use std::sync::Arc;
use std::time::Duration;

use crate::command::Command;
use crate::metrics::dashboard::{Dashboard, LogEntry, SecondRow};
use crate::metrics::health::HealthSeries;
use crate::metrics::journey::JourneyStats;
use crate::metrics::scope::ScopeStats;
use crate::outcome::OutcomeClass;
use crate::threshold::{Threshold, ThresholdScope};
use crate::vocab::LatencyBasis;

/// Status codes seen for one class, with counts (few distinct codes, so a Vec).
pub type StatusCounts = Vec<(u16, u64)>;

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
    /// What the latency histograms measure.
    pub latency: LatencyBasis,
    /// The watched target's and loadpilot's own health, sampled through the run
    /// (`target.*`, `self.*` and `watch.*` thresholds read it).
    pub health: HealthSeries,
    /// When each stage reached began, run time (index = stage).
    pub stage_starts: Vec<Duration>,
    /// The stages' names from the profile or `--stages` (index = stage; `None`: unnamed).
    pub stage_names: Vec<Option<String>>,
    /// The schedule's stages (targets in the model's unit), for per-stage results
    /// and recovery times.
    pub stages: Vec<crate::plan::Stage>,
}

impl RunRecord {
    /// The load model the run used (only the open model measures from intended start).
    pub fn model(&self) -> crate::plan::LoadModel {
        match self.latency {
            LatencyBasis::IntendedStart => crate::plan::LoadModel::Rate,
            _ => crate::plan::LoadModel::Vus,
        }
    }

    /// A record of a run that measured nothing (yet).
    pub fn empty(profile_name: &str, target: &str) -> RunRecord {
        RunRecord {
            profile_name: profile_name.into(),
            target: target.into(),
            started_at: chrono::DateTime::UNIX_EPOCH,
            duration: Duration::ZERO,
            complete: true,
            journey: Default::default(),
            latency: LatencyBasis::Service,
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
            health: HealthSeries::default(),
            stage_starts: Vec::new(),
            stage_names: Vec::new(),
            stages: Vec::new(),
        }
    }

    /// The run time stage `i` covered: from its start to the next stage's (or
    /// `end`, while it is the last one reached); `None` if it was never reached.
    pub fn stage_span(&self, i: usize, end: Duration) -> Option<(Duration, Duration)> {
        let from = self.stage_start(i)?;
        let to = self.stage_start(i + 1).unwrap_or(end).min(end.max(from));
        Some((from, to.max(from)))
    }

    /// When stage `i` began: as the engine reported it, or in a record saved
    /// before starts were kept, as scheduled (the stages' durations added up).
    fn stage_start(&self, i: usize) -> Option<Duration> {
        if !self.stage_starts.is_empty() {
            return self.stage_starts.get(i).copied();
        }
        (i < self.stages.len() && i < self.per_stage.len())
            .then(|| self.stages[..i].iter().map(|s| s.duration).sum())
    }

    /// Stage `i`'s name, or `stage N` (1-based) when it has none.
    pub fn stage_label(&self, i: usize) -> String {
        crate::metrics::recovery::stage_label(&self.stage_names, i)
    }

    /// The parts recovery times are read from.
    pub fn shape(&self) -> crate::metrics::recovery::RunShape<'_> {
        crate::metrics::recovery::RunShape {
            stages: &self.stages,
            stage_starts: &self.stage_starts,
            stage_names: &self.stage_names,
            series: &self.series,
            per_stage: &self.per_stage,
            thresholds: &self.thresholds,
            second_histograms: &self.second_histograms,
            breaches: None,
        }
    }

    /// The value threshold `t` reads from this run (ms, fraction or per second):
    /// over the whole run, for the request, flow or custom metric it names; `None`
    /// when that recorded nothing (see [`ScopeStats::reading`]).
    pub fn threshold_value(&self, t: &Threshold) -> Option<f64> {
        self.threshold_value_over(t, self.duration)
    }

    /// As [`RunRecord::threshold_value`], with `elapsed` as the time covered (for
    /// `rps` while the run still goes).
    pub fn threshold_value_over(&self, t: &Threshold, elapsed: Duration) -> Option<f64> {
        if t.window_s.is_some() {
            return crate::metrics::window::worst_in_record(
                t,
                &self.series,
                &self.second_histograms,
            );
        }
        if t.stat == crate::threshold::Stat::RecoveryTime {
            return crate::metrics::recovery::worst_ms(&self.shape());
        }
        let scope = t.scope(&self.request_names, &self.stage_names);
        let span = match scope {
            ThresholdScope::Stage(i) => self.stage_span(i, elapsed)?,
            _ => (Duration::ZERO, elapsed),
        };
        if let Some(metric) = t.stat.health() {
            // Samples up to the end of the run (the last one may come after `elapsed`).
            let to = if matches!(scope, ThresholdScope::Stage(_)) {
                span.1
            } else {
                Duration::MAX
            };
            return self.health.reading(metric, t.watch.as_deref(), span.0, to);
        }
        let secs = (span.1 - span.0).as_secs_f64();
        self.threshold_stats(t, scope)
            .and_then(|s| s.reading(t.stat, secs))
    }

    /// The statistics a threshold reads: the request, stage, flow or custom metric
    /// it names, or the whole run; `None` for a name that matches nothing.
    fn threshold_stats(&self, t: &Threshold, scope: ThresholdScope<'_>) -> Option<&ScopeStats> {
        match scope {
            ThresholdScope::Stage(i) => self.per_stage.get(i),
            ThresholdScope::Run => Some(&self.overall),
            ThresholdScope::Request(i) => self
                .per_request
                .get(i)
                .or_else(|| t.request.as_deref().and_then(|n| self.journey.scope(n))),
            // A flow or custom metric (journeys).
            ThresholdScope::Named(name) => self.journey.scope(name),
        }
    }
}
