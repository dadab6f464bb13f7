//! Summary rows the report and the dashboard share: a scope's counts and latency
//! in milliseconds ([`ScopeSummary`]) and one row per stage reached
//! ([`StageSummary`]). They live here, below both, so the live stages pane, the
//! viewer of a saved run and the end-of-run summary show the very same figures.

use std::time::Duration;

use crate::metrics::record::RunRecord;
use crate::metrics::scope::{ScopeStats, quantile_ms};
use crate::threshold::Stat;

pub use crate::metrics::summary_types::{ScopeSummary, StageSummary};

impl ScopeSummary {
    /// `stats` over `secs` seconds (the time `rps` divides by).
    pub fn new(stats: &ScopeStats, secs: f64) -> ScopeSummary {
        let ms = |us: u64| us as f64 / 1000.0;
        let h = &stats.hist;
        let q = |quantile: f64| quantile_ms(h, quantile);
        ScopeSummary {
            count: stats.requests(),
            errors: stats.errors(),
            error_rate: stats.error_rate(),
            rps: stats.stat(Stat::Rps, secs),
            min_ms: if h.is_empty() { 0.0 } else { ms(h.min()) },
            mean_ms: if h.is_empty() { 0.0 } else { h.mean() / 1000.0 },
            p50_ms: q(0.50),
            p90_ms: q(0.90),
            p95_ms: q(0.95),
            p99_ms: q(0.99),
            max_ms: if h.is_empty() { 0.0 } else { ms(h.max()) },
            classes: stats.class_counts(),
        }
    }
}

/// The stages worth a table: those that recorded requests or have a name.
pub fn stage_summaries(record: &RunRecord) -> Vec<StageSummary> {
    stage_summaries_until(record, record.duration)
}

/// As [`stage_summaries`], with the stage running at `end` cut there (a live
/// run's record has no duration yet).
pub fn stage_summaries_until(record: &RunRecord, end: Duration) -> Vec<StageSummary> {
    record
        .per_stage
        .iter()
        .enumerate()
        .filter(|(i, stats)| {
            stats.requests() > 0 || matches!(record.stage_names.get(*i), Some(Some(_)))
        })
        .map(|(i, stats)| {
            let (from, to) = record.stage_span(i, end).unwrap_or((end, end));
            StageSummary {
                stage: i + 1,
                name: record.stage_label(i),
                from_s: from.as_secs_f64(),
                to_s: to.as_secs_f64(),
                target: record.stages.get(i).map(|s| s.target),
                dropped: stats.dropped_total(),
                stats: ScopeSummary::new(stats, (to - from).as_secs_f64()),
            }
        })
        .collect()
}
