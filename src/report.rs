//! The end-of-run summary: per request and overall counts, rates and latency
//! percentiles, errors by class, and threshold verdicts — as a text table for
//! people and as JSON (`--summary-json`) for machines.

mod health;
mod stages;

use std::collections::BTreeMap;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Table};
use serde::Serialize;

use crate::fit::FitTable;
use crate::format::{NO_SAMPLES, bytes_fixed, format_stat, ms_fixed};
use crate::metrics::aggregator::RunRecord;
use crate::metrics::journey_summary::JourneySummary;
use crate::metrics::scope::{ScopeStats, quantile_ms};
pub use crate::metrics::stage_summary::{ScopeSummary, StageSummary};
use crate::outcome::OutcomeClass;
pub use health::{HealthSummary, StageLeak};
pub use stages::recovery_line;

use crate::metrics::recovery::Recovery;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RequestSummary {
    pub name: String,
    #[serde(flatten)]
    pub stats: ScopeSummary,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClassSummary {
    /// Serialised as its public label (`429`, `5xx`, `timeout`), never the enum's name.
    #[serde(serialize_with = "class_label")]
    pub class: OutcomeClass,
    pub label: &'static str,
    pub count: u64,
    pub share: f64,
    /// HTTP status codes within the class, with counts.
    pub statuses: Vec<(u16, u64)>,
    pub last_message: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ThresholdResult {
    pub expr: String,
    /// The measured value in canonical units (ms, fraction, per second).
    pub value: f64,
    /// The value as people read it (`512.3ms`, `1.20%`), or `no data`.
    pub shown: String,
    pub passed: bool,
    /// The scope recorded nothing: `value` is 0 and means nothing; `passed` only
    /// with `allow_empty`.
    pub no_data: bool,
}

impl ClassSummary {
    /// Status codes with counts, `401×4 404×2`.
    pub fn statuses_text(&self) -> String {
        statuses_text(&self.statuses)
    }
}

/// Status codes with counts, `200×95 201×5`.
pub fn statuses_text(statuses: &[(u16, u64)]) -> String {
    statuses
        .iter()
        .map(|(code, n)| format!("{code}×{n}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Latency percentiles in milliseconds (the service time beside the main figures).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LatencySummary {
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl LatencySummary {
    fn new(hist: &hdrhistogram::Histogram<u64>) -> LatencySummary {
        LatencySummary {
            p50_ms: quantile_ms(hist, 0.50),
            p90_ms: quantile_ms(hist, 0.90),
            p95_ms: quantile_ms(hist, 0.95),
            p99_ms: quantile_ms(hist, 0.99),
            max_ms: quantile_ms(hist, 1.0),
        }
    }
}

/// The open model's schedule: arrivals and the ones that could not be sent.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ArrivalSummary {
    pub arrivals: u64,
    pub dropped: u64,
    pub dropped_rate: f64,
    /// Dropped arrivals by reason (`no VU free`, `loader behind`).
    pub dropped_by_reason: BTreeMap<String, u64>,
}

impl ArrivalSummary {
    fn new(stats: &ScopeStats) -> Option<ArrivalSummary> {
        (stats.arrivals > 0).then(|| ArrivalSummary {
            arrivals: stats.arrivals,
            dropped: stats.dropped_total(),
            dropped_rate: stats.dropped_rate(),
            dropped_by_reason: stats.dropped_counts(),
        })
    }
}

fn class_label<S: serde::Serializer>(class: &OutcomeClass, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(class.label())
}

/// The version of the summary JSON's shape (`docs/summary-format.md`); bumped when
/// a field changes meaning or goes away, not when one is added.
pub const SUMMARY_SCHEMA_VERSION: u32 = 1;

/// The end-of-run summary.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    /// [`SUMMARY_SCHEMA_VERSION`].
    pub schema_version: u32,
    pub profile: String,
    pub target: String,
    pub duration_s: f64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub overall: ScopeSummary,
    pub requests: Vec<RequestSummary>,
    pub error_classes: Vec<ClassSummary>,
    /// Status codes of the successful (`ok`) responses, with counts.
    pub ok_statuses: Vec<(u16, u64)>,
    pub thresholds: Vec<ThresholdResult>,
    /// All thresholds passed.
    pub passed: bool,
    pub aborted_by_threshold: bool,
    /// Flows, checks, custom metrics, range chunks, personas (journeys work).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journey: Option<JourneySummary>,
    /// What the latency figures measure: `service time`, `from intended start`
    /// (open model) or `corrected` (`--expected-interval`).
    pub latency_basis: &'static str,
    /// The plain service time, when the main figures measure something else.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_time: Option<LatencySummary>,
    /// Open model: the schedule's arrivals and drops.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrivals: Option<ArrivalSummary>,
    /// Per stage reached (with requests or a name): its span, target and results.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageSummary>,
    /// After each stage that lowered the load: the seconds until p95 and error
    /// rate were back within their thresholds (or 10% of the reference stage).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recoveries: Vec<Recovery>,
    /// The watched target's memory and CPU, the leak fit, loadpilot's own
    /// (when a target was watched or a health threshold was set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<HealthSummary>,
    /// Worker threads of the runtime that ran the load (`--threads`), when known:
    /// a summary rebuilt from a snapshot does not know it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker_threads: Option<usize>,
}

impl Summary {
    pub fn from_record(record: &RunRecord) -> Summary {
        let secs = record.duration.as_secs_f64();
        let total = record.overall.requests();
        let thresholds: Vec<ThresholdResult> = record
            .thresholds
            .iter()
            .map(|t| {
                let reading = record.threshold_value(t);
                ThresholdResult {
                    expr: t.expr.clone(),
                    value: reading.unwrap_or(0.0),
                    shown: reading.map_or_else(|| "no data".into(), |v| format_stat(t.stat, v)),
                    passed: t.passes(reading),
                    no_data: reading.is_none(),
                }
            })
            .collect();
        Summary {
            schema_version: SUMMARY_SCHEMA_VERSION,
            profile: record.profile_name.clone(),
            target: record.target.clone(),
            duration_s: secs,
            bytes_in: record.bytes_in,
            bytes_out: record.bytes_out,
            overall: ScopeSummary::new(&record.overall, secs),
            requests: record
                .request_names
                .iter()
                .zip(&record.per_request)
                .map(|(name, stats)| RequestSummary {
                    name: name.clone(),
                    stats: ScopeSummary::new(stats, secs),
                })
                .collect(),
            error_classes: OutcomeClass::errors()
                .filter(|c| record.overall.classes[c.index()] > 0)
                .map(|c| {
                    let count = record.overall.classes[c.index()];
                    ClassSummary {
                        class: c,
                        label: c.label(),
                        count,
                        share: count as f64 / total.max(1) as f64,
                        statuses: record.by_status[c.index()].clone(),
                        last_message: record.last_message[c.index()].clone(),
                    }
                })
                .collect(),
            ok_statuses: record.by_status[OutcomeClass::Ok.index()].clone(),
            passed: thresholds.iter().all(|t| t.passed),
            thresholds,
            aborted_by_threshold: record.aborted_by_threshold,
            journey: JourneySummary::from_record(record),
            latency_basis: record.latency.label(),
            service_time: record.overall.service.as_ref().map(LatencySummary::new),
            arrivals: ArrivalSummary::new(&record.overall),
            health: HealthSummary::from_record(record),
            stages: stages::stage_summaries(record),
            recoveries: crate::metrics::recovery::recoveries(&record.shape()),
            worker_threads: None,
        }
    }

    /// The open model's and corrected runs' extra line: what latency means, the
    /// service time beside it, arrivals and drops.
    fn model_text(&self) -> String {
        let mut out = String::new();
        if let Some(service) = &self.service_time {
            out.push_str(&format!(
                "latency {} · service time p50 {} · p95 {} · p99 {} · max {}\n",
                self.latency_basis,
                crate::format::ms(service.p50_ms),
                crate::format::ms(service.p95_ms),
                crate::format::ms(service.p99_ms),
                crate::format::ms(service.max_ms),
            ));
        }
        if let Some(a) = &self.arrivals {
            let reasons = a
                .dropped_by_reason
                .iter()
                .map(|(reason, n)| format!("{reason} {n}"))
                .collect::<Vec<_>>()
                .join(", ");
            out.push_str(&format!(
                "arrivals {} · dropped {} ({:.2}%){}\n",
                a.arrivals,
                a.dropped,
                a.dropped_rate * 100.0,
                if reasons.is_empty() {
                    String::new()
                } else {
                    format!(": {reasons}")
                }
            ));
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out
    }

    /// The summary as text tables at their natural width (files, pipes, CI logs).
    pub fn render_text(&self) -> String {
        self.render_text_width(None)
    }

    /// The summary with its wide tables fitted to `width` columns (a terminal):
    /// columns dropped in a fixed order, only the last one wrapped.
    pub fn render_text_width(&self, width: Option<u16>) -> String {
        let facts = [
            format!("duration {:.1}s", self.duration_s),
            format!("{} requests", self.overall.count),
            format!("{:.1} req/s", self.overall.rps),
            format!(
                "{} errors ({:.2}%)",
                self.overall.errors,
                self.overall.error_rate * 100.0
            ),
            format!("in {}", bytes_fixed(self.bytes_in)),
            format!("out {}", bytes_fixed(self.bytes_out)),
        ];
        let mut out = format!(
            "loadpilot summary: {} → {}\n{}\n\n",
            self.profile,
            self.target,
            crate::fit::facts_line(&facts, width),
        );
        out.push_str(&self.model_text());
        if let Some(health) = &self.health {
            out.push_str(&health.render_text());
        }
        if !self.ok_statuses.is_empty() {
            out.push_str(&format!(
                "ok by status: {}\n\n",
                statuses_text(&self.ok_statuses)
            ));
        }
        out.push_str(&self.requests_table().render(width));
        out.push('\n');
        if self.stages.len() >= 2 {
            out.push('\n');
            out.push_str(&stages::stages_table(&self.stages).render(width));
            out.push('\n');
        }
        if !self.recoveries.is_empty() {
            out.push('\n');
            for r in &self.recoveries {
                out.push_str(&stages::recovery_line(r));
            }
        }
        if !self.error_classes.is_empty() {
            out.push('\n');
            out.push_str(&self.error_classes_table().render(width));
            out.push('\n');
        }
        if let Some(journey) = &self.journey {
            out.push_str(&journey.render_text());
        }
        if !self.thresholds.is_empty() {
            out.push('\n');
            out.push_str(&self.thresholds_table().to_string());
            out.push('\n');
            let failed = self.thresholds.iter().filter(|t| !t.passed).count();
            let total = self.thresholds.len();
            out.push_str(&if failed > 0 {
                format!("\n{failed} of {total} thresholds FAILED\n")
            } else {
                format!("\nall {total} thresholds passed\n")
            });
        }
        if self.aborted_by_threshold {
            out.push_str(
                "the run was stopped early: a threshold failed and abort_on_fail is set\n",
            );
        }
        out
    }

    /// One row per request, then the overall row. Too wide for the terminal,
    /// it drops "by class", then p90, max, rps and p50.
    fn requests_table(&self) -> FitTable {
        let mut table = FitTable::new(
            vec![
                "request", "count", "rps", "p50", "p90", "p95", "p99", "max", "errors", "by class",
            ],
            vec![9, 4, 7, 2, 3],
            Some(9),
        );
        let rows = self
            .requests
            .iter()
            .map(|r| (r.name.as_str(), &r.stats))
            .chain([("overall", &self.overall)]);
        let right = |text: String| Cell::new(text).set_alignment(CellAlignment::Right);
        for (name, s) in rows {
            let classes = s
                .classes
                .iter()
                .filter(|(label, _)| *label != "ok")
                .map(|(label, n)| format!("{label}:{n}"))
                .collect::<Vec<_>>()
                .join(" ");
            // A request that never ran has no latency and no error rate, not zeros.
            let measured = |text: String| {
                if s.count == 0 {
                    right(NO_SAMPLES.into())
                } else {
                    right(text)
                }
            };
            table.add_row(vec![
                Cell::new(name),
                right(s.count.to_string()),
                right(format!("{:.1}", s.rps)),
                measured(ms_fixed(s.p50_ms)),
                measured(ms_fixed(s.p90_ms)),
                measured(ms_fixed(s.p95_ms)),
                measured(ms_fixed(s.p99_ms)),
                measured(ms_fixed(s.max_ms)),
                measured(format!("{:.2}%", s.error_rate * 100.0)),
                Cell::new(classes),
            ]);
        }
        table
    }

    /// Error classes; too wide, it drops the statuses, then the share; the last
    /// message wraps.
    fn error_classes_table(&self) -> FitTable {
        let mut table = FitTable::new(
            vec!["error class", "count", "share", "statuses", "last message"],
            vec![3, 2],
            Some(4),
        );
        for c in &self.error_classes {
            table.add_row(vec![
                Cell::new(c.label),
                Cell::new(c.count).set_alignment(CellAlignment::Right),
                Cell::new(format!("{:.2}%", c.share * 100.0)).set_alignment(CellAlignment::Right),
                Cell::new(c.statuses_text()),
                Cell::new(c.last_message.as_deref().unwrap_or("")),
            ]);
        }
        table
    }

    fn thresholds_table(&self) -> Table {
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_header(vec!["threshold", "value", "result"]);
        for t in &self.thresholds {
            table.add_row(vec![
                Cell::new(&t.expr),
                Cell::new(&t.shown).set_alignment(CellAlignment::Right),
                Cell::new(if t.passed { "✓ pass" } else { "✗ FAIL" }),
            ]);
        }
        table
    }
}

/// Prints the summary's text: on a terminal its tables fit the width, in a pipe
/// or file they keep theirs; with `--summary-json -` (stdout stays pure JSON, for
/// `| jq`) the text goes to stderr.
pub fn print_summary(summary: &Summary, summary_json: Option<&std::path::Path>) {
    use std::io::IsTerminal;
    let width = std::io::stdout()
        .is_terminal()
        .then(|| crossterm::terminal::size().ok().map(|(cols, _)| cols))
        .flatten();
    let text = summary.render_text_width(width);
    if summary_json.is_some_and(crate::fsutil::is_stdout) {
        crate::stdout::eprint_line(text.trim_end());
    } else {
        crate::stdout::print(&text);
    }
}

/// Writes `--summary-json` (`-` is stdout); says so and returns false when it cannot.
pub fn write_summary_json(path: &std::path::Path, summary: &impl serde::Serialize) -> bool {
    let written = serde_json::to_vec_pretty(summary)
        .map_err(std::io::Error::other)
        .and_then(|json| crate::fsutil::write_output(path, &json));
    if let Err(e) = &written {
        crate::stdout::eprint_line(&format!(
            "loadpilot: error: writing --summary-json {}: {e}",
            path.display()
        ));
    }
    written.is_ok()
}
