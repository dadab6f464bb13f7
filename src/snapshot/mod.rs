//! Session snapshots: a run's full record (config, every event and operator action,
//! the per-second series, and lossless latency histograms) as versioned JSON,
//! optionally zstd-compressed. The layout is documented in `docs/snapshot-format.md`.
//!
//! A snapshot converts back into a [`RunRecord`], so `report`, `compare` and
//! `open` reuse the live code paths and show exactly what the live run showed.

mod limits;
use crate::redact;
mod store;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

pub use limits::{MAX_RUN_S, MAX_TOTAL, MAX_VUS};
pub use store::{SnapshotError, default_path, parse, read, to_json, write};

use crate::cli::RunOptions;
use crate::command::Command;
use crate::metrics::aggregator::{ActionRecord, RunRecord};
use crate::metrics::dashboard::{Dashboard, LogEntry, LogKind, SecondRow};
use crate::metrics::health::HealthSeries;
use crate::metrics::journey::{JourneyConfig, JourneyStats};
use crate::metrics::scope::{DropReason, ScopeStats};
use crate::outcome::OutcomeClass;
use crate::plan::Stage;
use crate::profile::Profile;
use crate::threshold::Threshold;
use crate::vocab::{LatencyBasis, LoadModel};

/// The `format` field of every snapshot.
pub const FORMAT: &str = "loadpilot-snapshot";
/// The layout version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// Latency histogram and class counts of one scope.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScopeRecord {
    /// Requests by class label (`ok`, `429`, `timeout`, …); classes with none left out.
    pub classes: BTreeMap<String, u64>,
    /// HdrHistogram V2 + DEFLATE, base64 (latency in µs).
    #[serde(with = "crate::metrics::hist_codec::base64_hist")]
    pub latency_us: Histogram<u64>,
    /// Service time, when `latency_us` measures something else (the run's
    /// `latency_basis`: from intended start, or corrected).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::metrics::hist_codec::base64_hist_opt"
    )]
    pub service_us: Option<Histogram<u64>>,
    /// Open model: arrivals the schedule produced (dropped ones included).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub arrivals: u64,
    /// Open model: dropped arrivals by reason (`no VU free`, `loader behind`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dropped: BTreeMap<String, u64>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl ScopeRecord {
    pub fn from_stats(stats: &ScopeStats) -> ScopeRecord {
        ScopeRecord {
            classes: stats.class_counts(),
            latency_us: stats.hist.clone(),
            service_us: stats.service.clone(),
            arrivals: stats.arrivals,
            dropped: stats.dropped_counts(),
        }
    }

    pub fn to_stats(&self) -> Result<ScopeStats, SnapshotError> {
        let mut stats = ScopeStats::default();
        for (label, n) in &self.classes {
            let class = OutcomeClass::from_label(label).ok_or_else(|| {
                SnapshotError::Invalid(format!("unknown outcome class \"{label}\""))
            })?;
            stats.classes[class.index()] = *n;
        }
        stats
            .hist
            .add(&self.latency_us)
            .map_err(|e| SnapshotError::Invalid(format!("histogram out of range: {e:?}")))?;
        if let Some(service) = &self.service_us {
            let mut hist = crate::metrics::scope::new_histogram();
            hist.add(service).map_err(|e| {
                SnapshotError::Invalid(format!("service histogram out of range: {e:?}"))
            })?;
            stats.service = Some(hist);
        }
        stats.arrivals = self.arrivals;
        for (label, n) in &self.dropped {
            let reason = DropReason::ALL
                .into_iter()
                .find(|r| r.label() == label)
                .ok_or_else(|| {
                    SnapshotError::Invalid(format!("unknown drop reason \"{label}\""))
                })?;
            stats.dropped[reason.index()] = *n;
        }
        Ok(stats)
    }
}

/// One named scope (a request, a stage).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NamedScope {
    pub name: String,
    #[serde(flatten)]
    pub stats: ScopeRecord,
}

/// An error class's details beyond its count.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClassRecord {
    pub class: OutcomeClass,
    /// HTTP status codes seen within the class, with counts.
    pub statuses: Vec<(u16, u64)>,
    pub last_message: Option<String>,
}

/// A persona: its share of VUs and the requests it sends (setup, requests, flow steps).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PersonaRecord {
    pub name: String,
    pub weight: u32,
    /// Indices into `requests`.
    pub requests: Vec<usize>,
}

/// One check item's failures (`"login: status in [200]"`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CheckRecord {
    pub label: String,
    pub failures: u64,
}

/// Journey statistics: flows (their total time and success), custom rate metrics
/// (hits as `ok`, misses as `check`), check tallies, range-streaming throughput.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JourneyRecord {
    pub flows: Vec<NamedScope>,
    pub metrics: Vec<NamedScope>,
    pub personas: Vec<PersonaRecord>,
    pub checks_passed: u64,
    pub checks_failed: u64,
    pub checks: Vec<CheckRecord>,
    pub chunks: u64,
    pub chunk_bytes: u64,
    pub chunk_us: u64,
}

impl JourneyRecord {
    fn from_stats(j: &JourneyStats) -> Option<JourneyRecord> {
        let c = &j.config;
        if c.flows.is_empty()
            && c.metrics.is_empty()
            && c.checks.is_empty()
            && c.personas.is_empty()
        {
            return None;
        }
        let named = |names: &[String], stats: &[ScopeStats]| {
            names
                .iter()
                .zip(stats)
                .map(|(name, s)| NamedScope {
                    name: name.clone(),
                    stats: ScopeRecord::from_stats(s),
                })
                .collect()
        };
        Some(JourneyRecord {
            flows: named(&c.flows, &j.flows),
            metrics: named(&c.metrics, &j.metrics),
            personas: c
                .personas
                .iter()
                .map(|(name, weight, requests)| PersonaRecord {
                    name: name.clone(),
                    weight: *weight,
                    requests: requests.clone(),
                })
                .collect(),
            checks_passed: j.checks_passed,
            checks_failed: j.checks_failed,
            checks: c
                .checks
                .iter()
                .zip(j.check_failures.iter().chain(std::iter::repeat(&0)))
                .map(|(label, &failures)| CheckRecord {
                    label: label.clone(),
                    failures,
                })
                .collect(),
            chunks: j.chunks,
            chunk_bytes: j.chunk_bytes,
            chunk_us: j.chunk_us,
        })
    }

    fn to_stats(&self) -> Result<JourneyStats, SnapshotError> {
        let stats = |scopes: &[NamedScope]| {
            scopes
                .iter()
                .map(|s| s.stats.to_stats())
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(JourneyStats {
            config: JourneyConfig {
                flows: self.flows.iter().map(|f| f.name.clone()).collect(),
                metrics: self.metrics.iter().map(|m| m.name.clone()).collect(),
                checks: self.checks.iter().map(|c| c.label.clone()).collect(),
                personas: self
                    .personas
                    .iter()
                    .map(|p| (p.name.clone(), p.weight, p.requests.clone()))
                    .collect(),
            },
            flows: stats(&self.flows)?,
            metrics: stats(&self.metrics)?,
            checks_passed: self.checks_passed,
            checks_failed: self.checks_failed,
            check_failures: self.checks.iter().map(|c| c.failures).collect(),
            chunks: self.chunks,
            chunk_bytes: self.chunk_bytes,
            chunk_us: self.chunk_us,
        })
    }
}

/// Each persona's requests added together.
fn persona_scopes(record: &RunRecord) -> Vec<NamedScope> {
    record
        .journey
        .config
        .personas
        .iter()
        .map(|(name, _, requests)| {
            let mut stats = ScopeStats::default();
            let mut seen = std::collections::BTreeSet::new();
            for &i in requests.iter().filter(|i| seen.insert(**i)) {
                if let Some(s) = record.per_request.get(i) {
                    stats.merge(s);
                }
            }
            NamedScope {
                name: name.clone(),
                stats: ScopeRecord::from_stats(&stats),
            }
        })
        .collect()
}

/// An event-log line.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EventRecord {
    /// Seconds since the run started.
    pub at_s: f64,
    pub kind: LogKind,
    pub text: String,
}

/// An operator command as applied, with the VU target before and after.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ActionEntry {
    pub at_s: f64,
    #[serde(flatten)]
    pub command: Command,
    pub vus_before: u32,
    pub vus_after: u32,
}

/// A saved run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    /// Always [`FORMAT`].
    pub format: String,
    pub schema_version: u32,
    pub loadpilot_version: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub duration_s: f64,
    /// False for a mid-run snapshot (`s` in the dashboard).
    pub complete: bool,
    pub profile_name: String,
    pub target: String,
    /// The resolved profile, secrets redacted.
    pub profile: serde_json::Value,
    /// The command-line options, secrets redacted.
    pub options: serde_json::Value,
    pub stages: Vec<Stage>,
    /// What the stages' targets count (`vus`, or `rate`: arrivals per second).
    #[serde(default)]
    pub load_model: LoadModel,
    /// `--segment`: the part of a split run this snapshot holds (`"3/8"`);
    /// absent for a whole run. `merge` checks that the parts cover the run once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<crate::segment::Segment>,
    /// What `latency_us` histograms measure (`service`, `intended_start`, `corrected`).
    #[serde(default)]
    pub latency_basis: LatencyBasis,
    pub thresholds: Vec<Threshold>,
    pub aborted_by_threshold: bool,
    /// Order of the per-class arrays in `series[].classes`.
    pub class_order: Vec<String>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub overall: ScopeRecord,
    /// One per request, in profile order.
    pub requests: Vec<NamedScope>,
    /// One per stage reached (`stage 1`, `stage 2`, …).
    pub stages_stats: Vec<NamedScope>,
    /// One per persona, when the profile has personas.
    #[serde(default)]
    pub personas: Vec<NamedScope>,
    /// Flows, custom metrics, checks and personas, when the profile has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journey: Option<JourneyRecord>,
    pub error_classes: Vec<ClassRecord>,
    /// Status codes of the successful responses, with counts (`[[200, 9], [201, 1]]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ok_statuses: Vec<(u16, u64)>,
    /// One row per second.
    pub series: Vec<SecondRow>,
    /// Each second's latency histogram (HdrHistogram V2 + DEFLATE, base64), index = second.
    #[serde(with = "crate::metrics::hist_codec::base64_blobs")]
    pub second_histograms: Vec<Vec<u8>>,
    pub events: Vec<EventRecord>,
    pub actions: Vec<ActionEntry>,
    /// The watched target's and loadpilot's own health samples (`target.*`,
    /// `self.*` and `watch.*` thresholds read them).
    #[serde(default, skip_serializing_if = "HealthSeries::is_empty")]
    pub health: HealthSeries,
    /// When each stage reached began, seconds of run time (index = stage).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stage_starts_s: Vec<f64>,
    /// `find-limit`: the steps and the limit found (see `finder::FindLimitResult`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub find_limit: Option<serde_json::Value>,
}

/// What a snapshot records besides the measurements.
#[derive(Debug, Clone)]
pub struct SnapshotMeta {
    /// The resolved profile, already redacted.
    pub profile: serde_json::Value,
    /// The options, already redacted.
    pub options: serde_json::Value,
    pub stages: Vec<Stage>,
    pub model: LoadModel,
    /// `--segment` / `[load] segment`.
    pub segment: Option<crate::segment::Segment>,
    /// The run's redaction, applied to the snapshot's string values before it is written.
    pub redactor: Arc<redact::Redactor>,
    /// Secrets too short to scrub or equal to a request name, to tell the user about.
    pub warnings: Vec<String>,
}

/// Whether `name` (a header or `-e` variable) holds a secret: by pattern, or
/// listed in the profile's `redact = [...]`.
fn is_secret_name(profile: &Profile, name: &str) -> bool {
    redact::is_sensitive_name(name) || profile.redact.iter().any(|r| r.eq_ignore_ascii_case(name))
}

/// Every secret value the run knows: sensitive headers, URL passwords and tokens,
/// secret `-e` variables and the profile's `redact` list.
fn secret_values(profile: &Profile, opts: &RunOptions) -> Vec<String> {
    let mut secrets: Vec<String> = profile
        .defaults
        .headers
        .iter()
        .chain(profile.requests.iter().flat_map(|r| r.headers.iter()))
        .filter(|(name, _)| is_secret_name(profile, name))
        .map(|(_, value)| value.clone())
        .collect();
    // Secrets in URLs end up in request names and messages too.
    secrets.extend(redact::url_secrets(&profile.base_url));
    for r in &profile.requests {
        secrets.extend(redact::url_secrets(&r.path));
    }
    // A bearer token is also a secret without its scheme word.
    let bare: Vec<String> = secrets
        .iter()
        .filter_map(|s| s.split_once(' ').map(|(_, token)| token.trim().to_string()))
        .collect();
    secrets.extend(bare);
    for (key, value) in &opts.vars {
        if is_secret_name(profile, key) {
            secrets.push(value.clone());
        }
    }
    // Entries of `redact` that are not a header or variable name are literal values.
    let names: Vec<&str> = profile
        .defaults
        .headers
        .iter()
        .chain(profile.requests.iter().flat_map(|r| r.headers.iter()))
        .map(|(n, _)| n.as_str())
        .chain(opts.vars.iter().map(|(k, _)| k.as_str()))
        .collect();
    secrets.extend(
        profile
            .redact
            .iter()
            .filter(|r| !names.iter().any(|n| n.eq_ignore_ascii_case(r)))
            .cloned(),
    );
    secrets
}

/// Header pairs `[name, value]` whose name the profile's `redact` list marks secret.
fn redact_listed_headers(value: &mut serde_json::Value, profile: &Profile) {
    match value {
        serde_json::Value::Array(items) => {
            if let [
                serde_json::Value::String(name),
                serde_json::Value::String(v),
            ] = items.as_mut_slice()
                && is_secret_name(profile, name)
            {
                *v = redact::REDACTED.to_string();
                return;
            }
            items
                .iter_mut()
                .for_each(|v| redact_listed_headers(v, profile));
        }
        serde_json::Value::Object(map) => map
            .values_mut()
            .for_each(|v| redact_listed_headers(v, profile)),
        _ => {}
    }
}

impl SnapshotMeta {
    /// Redacted copies of the profile and options, and the run's redaction.
    pub fn new(profile: &Profile, opts: &RunOptions) -> SnapshotMeta {
        let names: Vec<String> = profile.requests.iter().map(|r| r.name.clone()).collect();
        let (redactor, warnings) = redact::Redactor::new(secret_values(profile, opts), &names);
        let mut profile_value = serde_json::to_value(profile).unwrap_or_default();
        redact::redact_value(&mut profile_value);
        redact_listed_headers(&mut profile_value, profile);
        let mut vars = serde_json::Map::new();
        for (key, value) in &opts.vars {
            if is_secret_name(profile, key) {
                vars.insert(key.clone(), redact::REDACTED.into());
            } else {
                vars.insert(key.clone(), redact::redact_url(value).into());
            }
        }
        let mut options = serde_json::json!({
            "vus": opts.vus,
            "duration": opts.duration.map(|d| humantime::format_duration(d).to_string()),
            "stages": opts.stages,
            "thresholds": opts.thresholds,
            "timeout": opts.timeout.map(|d| humantime::format_duration(d).to_string()),
            "http2": opts.http2,
            "insecure": opts.insecure,
            "vars": vars,
            "watch_pid": opts.watch_pid,
            "watch_url": opts.watch_url,
            "segment": opts.segment.map(|s| s.to_string()),
            "start_at": opts.start_at.map(|t| t.to_rfc3339()),
            "start_after": opts.start_after.map(|d| humantime::format_duration(d).to_string()),
        });
        redact::redact_value(&mut options);
        SnapshotMeta {
            profile: profile_value,
            options,
            stages: profile.load.stages.clone(),
            model: profile.load.model,
            segment: profile.load.segment,
            redactor: Arc::new(redactor),
            warnings,
        }
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Each error class the run saw (a count or a message), with its statuses.
fn error_class_records(record: &RunRecord) -> Vec<ClassRecord> {
    OutcomeClass::errors()
        .filter(|c| {
            record.overall.classes[c.index()] > 0 || record.last_message[c.index()].is_some()
        })
        .map(|c| ClassRecord {
            class: c,
            statuses: record.by_status[c.index()].clone(),
            last_message: record.last_message[c.index()].clone(),
        })
        .collect()
}

fn event_records(record: &RunRecord) -> Vec<EventRecord> {
    record
        .log
        .iter()
        .map(|e| EventRecord {
            at_s: secs(e.at),
            kind: e.kind,
            text: e.text.clone(),
        })
        .collect()
}

fn action_entries(record: &RunRecord) -> Vec<ActionEntry> {
    record
        .actions
        .iter()
        .map(|a| ActionEntry {
            at_s: secs(a.at),
            command: a.command.clone(),
            vus_before: a.vus_before,
            vus_after: a.vus_after,
        })
        .collect()
}

impl Snapshot {
    pub fn from_record(record: &RunRecord, meta: &SnapshotMeta) -> Snapshot {
        Snapshot {
            format: FORMAT.into(),
            schema_version: SCHEMA_VERSION,
            loadpilot_version: env!("CARGO_PKG_VERSION").into(),
            started_at: record.started_at,
            duration_s: secs(record.duration),
            complete: record.complete,
            profile_name: record.profile_name.clone(),
            target: redact::redact_url(&record.target),
            profile: meta.profile.clone(),
            options: meta.options.clone(),
            stages: meta.stages.clone(),
            load_model: meta.model,
            segment: meta.segment,
            latency_basis: record.latency,
            thresholds: record.thresholds.clone(),
            aborted_by_threshold: record.aborted_by_threshold,
            class_order: OutcomeClass::ALL
                .iter()
                .map(|c| c.label().to_string())
                .collect(),
            bytes_in: record.bytes_in,
            bytes_out: record.bytes_out,
            overall: ScopeRecord::from_stats(&record.overall),
            requests: record
                .request_names
                .iter()
                .zip(&record.per_request)
                .map(|(name, stats)| NamedScope {
                    name: name.clone(),
                    stats: ScopeRecord::from_stats(stats),
                })
                .collect(),
            stages_stats: record
                .per_stage
                .iter()
                .enumerate()
                .map(|(i, stats)| NamedScope {
                    name: record.stage_label(i),
                    stats: ScopeRecord::from_stats(stats),
                })
                .collect(),
            personas: persona_scopes(record),
            journey: JourneyRecord::from_stats(&record.journey),
            error_classes: error_class_records(record),
            ok_statuses: record.by_status[OutcomeClass::Ok.index()].clone(),
            series: record.series.clone(),
            second_histograms: record.second_histograms.clone(),
            events: event_records(record),
            actions: action_entries(record),
            health: record.health.clone(),
            stage_starts_s: record.stage_starts.iter().map(|d| secs(*d)).collect(),
            find_limit: None,
        }
    }

    /// The run record this snapshot holds, for the summary, reports and the viewer.
    pub fn to_record(&self) -> Result<RunRecord, SnapshotError> {
        let mut by_status = vec![Vec::new(); OutcomeClass::COUNT];
        let mut last_message = vec![None; OutcomeClass::COUNT];
        by_status[OutcomeClass::Ok.index()] = self.ok_statuses.clone();
        for c in &self.error_classes {
            by_status[c.class.index()] = c.statuses.clone();
            last_message[c.class.index()] = c.last_message.clone();
        }
        let duration = Duration::from_secs_f64(self.duration_s.max(0.0));
        let log: Vec<LogEntry> = self
            .events
            .iter()
            .map(|e| LogEntry {
                at: Duration::from_secs_f64(e.at_s.max(0.0)),
                kind: e.kind,
                text: e.text.clone(),
            })
            .collect();
        let mut frame = Dashboard::empty(&self.profile_name, &self.target);
        frame.elapsed = duration;
        Ok(RunRecord {
            profile_name: self.profile_name.clone(),
            target: self.target.clone(),
            started_at: self.started_at,
            duration,
            complete: self.complete,
            request_names: self.requests.iter().map(|r| r.name.clone()).collect(),
            overall: self.overall.to_stats()?,
            per_request: self
                .requests
                .iter()
                .map(|r| r.stats.to_stats())
                .collect::<Result<_, _>>()?,
            by_status,
            last_message,
            bytes_in: self.bytes_in,
            bytes_out: self.bytes_out,
            series: self.series.clone(),
            second_histograms: self.second_histograms.clone(),
            per_stage: self
                .stages_stats
                .iter()
                .map(|s| s.stats.to_stats())
                .collect::<Result<_, _>>()?,
            log,
            actions: self
                .actions
                .iter()
                .map(|a| ActionRecord {
                    at: Duration::from_secs_f64(a.at_s.max(0.0)),
                    command: a.command.clone(),
                    vus_before: a.vus_before,
                    vus_after: a.vus_after,
                })
                .collect(),
            thresholds: self.thresholds.clone(),
            aborted_by_threshold: self.aborted_by_threshold,
            last_frame: Arc::new(frame),
            latency: self.latency_basis,
            // Journey statistics (flows, checks, custom metrics) are not in snapshots yet.
            journey: match &self.journey {
                Some(j) => j.to_stats()?,
                None => Default::default(),
            },
            health: self.health.clone(),
            stages: self.stages.clone(),
            stage_starts: self
                .stage_starts_s
                .iter()
                .map(|s| Duration::from_secs_f64(s.max(0.0)))
                .collect(),
            // Unnamed stages are saved as `stage N`; names never hold a space.
            stage_names: self
                .stages_stats
                .iter()
                .map(|s| (!s.name.contains(' ')).then(|| s.name.clone()))
                .collect(),
        })
    }
}
