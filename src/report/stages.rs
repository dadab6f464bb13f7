//! The summary's per-stage results: each stage reached, by name (or `stage N`),
//! with its time span, target, counts and latency — so a stress stage's knee
//! shows even when the whole run's figures hide it — and the recovery after each
//! stage that lowered the load (see [`crate::metrics::recovery`]).

use comfy_table::{Cell, CellAlignment};
use serde::Serialize;

use super::ScopeSummary;
use crate::fit::FitTable;
use crate::format::ms_fixed;
use crate::metrics::aggregator::RunRecord;
use crate::metrics::recovery::{Cause, Recovery};

/// One stage's results.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StageSummary {
    /// 1-based.
    pub stage: usize,
    /// The stage's name, or `stage N`.
    pub name: String,
    /// The run time the stage covered, seconds.
    pub from_s: f64,
    pub to_s: f64,
    /// The stage's target in the run's unit (VUs, or arrivals per second).
    pub target: Option<u32>,
    #[serde(flatten)]
    pub stats: ScopeSummary,
}

/// The stages worth a table: those that recorded requests or have a name.
pub fn stage_summaries(record: &RunRecord) -> Vec<StageSummary> {
    record
        .per_stage
        .iter()
        .enumerate()
        .filter(|(i, stats)| {
            stats.requests() > 0 || matches!(record.stage_names.get(*i), Some(Some(_)))
        })
        .map(|(i, stats)| {
            let (from, to) = record
                .stage_span(i, record.duration)
                .unwrap_or((record.duration, record.duration));
            StageSummary {
                stage: i + 1,
                name: record.stage_label(i),
                from_s: from.as_secs_f64(),
                to_s: to.as_secs_f64(),
                target: record.stages.get(i).map(|s| s.target),
                stats: ScopeSummary::new(stats, (to - from).as_secs_f64()),
            }
        })
        .collect()
}

/// One row per stage. Too wide for the terminal, it drops the stage's end,
/// its start, p50, the target and rps, in that order.
pub fn stages_table(stages: &[StageSummary]) -> FitTable {
    let mut table = FitTable::new(
        vec![
            "stage", "from", "to", "target", "count", "rps", "p50", "p95", "p99", "errors",
        ],
        vec![2, 1, 6, 3, 5],
        None,
    );
    let right = |text: String| Cell::new(text).set_alignment(CellAlignment::Right);
    for s in stages {
        table.add_row(vec![
            Cell::new(&s.name),
            right(format!("{:.1}s", s.from_s)),
            right(format!("{:.1}s", s.to_s)),
            right(s.target.map_or("–".into(), |t| t.to_string())),
            right(s.stats.count.to_string()),
            right(format!("{:.1}", s.stats.rps)),
            right(ms_fixed(s.stats.p50_ms)),
            right(ms_fixed(s.stats.p95_ms)),
            right(ms_fixed(s.stats.p99_ms)),
            right(format!("{:.2}%", s.stats.error_rate * 100.0)),
        ]);
    }
    table
}

/// `recovery after the drop into "recovery" at 40.0s: 3.0s (p95 ≤ 120.0ms, errors ≤ 1.00%, from normal)`
/// or `recovery after p95_1m < 1s failed at 12.0s in stress: 4.0s (p95 ≤ 1.00s)`.
pub fn recovery_line(r: &Recovery) -> String {
    let took = r
        .seconds
        .map_or("not recovered by the end of the run".to_string(), |s| {
            format!("{s:.1}s")
        });
    let mut limits = Vec::new();
    if r.p95_limit_ms.is_finite() {
        limits.push(format!("p95 ≤ {}", ms_fixed(r.p95_limit_ms)));
    }
    if r.error_rate_limit.is_finite() {
        limits.push(format!("errors ≤ {:.2}%", r.error_rate_limit * 100.0));
    }
    let limits = limits.join(", ");
    match (r.cause, &r.threshold) {
        (Cause::FailingWindow, Some(threshold)) => format!(
            "recovery after {threshold} failed at {:.1}s in {}: {took} ({limits})\n",
            r.at_s, r.stage_name
        ),
        _ => format!(
            "recovery after the drop into {} at {:.1}s: {took} ({limits}, from {})\n",
            r.stage_name, r.at_s, r.reference
        ),
    }
}
