//! Recovery time: after a stage that lowers the load, how many seconds pass until
//! the target is healthy again — each second's p95 and error rate back within
//! the run's `p95` and `error_rate` thresholds, or, for a figure without one,
//! within 10% of what the target did before at that load (the latest earlier
//! stage whose load was at most the new one: in warm-up → normal → peak →
//! stress → recovery, `normal`). And after each failing window of a sliding-window
//! threshold, whatever the load did (see [`failing`]).
//!
//! Read from the per-second series, so a live run, a snapshot and a report agree.

mod failing;

use std::time::Duration;

use crate::metrics::dashboard::SecondRow;
use crate::metrics::scope::ScopeStats;
use crate::plan::Stage;
use crate::threshold::{Op, Stat, Threshold};

/// The slack over the reference stage's figures ("within 10%").
const REFERENCE_SLACK: f64 = 1.10;
/// An error rate this low counts as no errors (a reference of 0% allows none otherwise).
const ERROR_RATE_FLOOR: f64 = 0.001;

pub use crate::metrics::summary_types::{Cause, Recovery};

/// What recovery reads of a run (the record's parts; this module sits below it).
pub struct RunShape<'a> {
    pub stages: &'a [Stage],
    pub stage_starts: &'a [Duration],
    pub stage_names: &'a [Option<String>],
    pub series: &'a [SecondRow],
    pub per_stage: &'a [ScopeStats],
    pub thresholds: &'a [Threshold],
    /// Each second's latency histogram (encoded), beside `series`.
    pub second_histograms: &'a [Vec<u8>],
    /// Per threshold (beside `thresholds`), each second's window breach as the
    /// live window trackers judged it, so a live run does not merge every window
    /// of its history again each second; `None` (or a threshold missing):
    /// judged here from `second_histograms`.
    pub breaches: Option<&'a [Vec<Option<bool>>]>,
}

impl RunShape<'_> {
    fn stage_label(&self, i: usize) -> String {
        stage_label(self.stage_names, i)
    }

    /// The stage running at `at` (the last one started by then).
    fn stage_at(&self, at: Duration) -> usize {
        self.stage_starts
            .iter()
            .rposition(|&start| start <= at)
            .unwrap_or(0)
    }
}

/// Stage `i`'s name, or `stage N` (1-based) when it has none.
pub fn stage_label(names: &[Option<String>], i: usize) -> String {
    match names.get(i) {
        Some(Some(name)) => name.clone(),
        _ => format!("stage {}", i + 1),
    }
}

/// Every drop in load the run went through and every failing window, with its
/// recovery, in the order they happened.
pub fn recoveries(record: &RunShape<'_>) -> Vec<Recovery> {
    let mut out = load_drops(record);
    let drops: Vec<f64> = out.iter().map(|r| r.at_s).collect();
    out.extend(failing::failing_windows(record, &drops));
    out.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
    out
}

/// Every drop in load, with its recovery.
fn load_drops(record: &RunShape<'_>) -> Vec<Recovery> {
    let mut out = Vec::new();
    for i in 1..record.stage_starts.len().min(record.stages.len()) {
        let (before, now) = (record.stages[i - 1].target, record.stages[i].target);
        if now >= before {
            continue;
        }
        let at = record.stage_starts[i];
        let Some((p95_limit_ms, error_rate_limit, reference)) = limits(record, i) else {
            continue;
        };
        out.push(Recovery {
            cause: Cause::LoadDrop,
            threshold: None,
            stage: i,
            stage_name: record.stage_label(i),
            at_s: at.as_secs_f64(),
            seconds: seconds_until_healthy(record.series, at, p95_limit_ms, error_rate_limit),
            p95_limit_ms,
            error_rate_limit,
            reference,
        });
    }
    out
}

/// The longest recovery, ms (what `recovery_time < 30s` reads): infinite when a
/// drop or failing window was never recovered from, `None` when there was neither.
pub fn worst_ms(record: &RunShape<'_>) -> Option<f64> {
    recoveries(record)
        .iter()
        .map(|r| r.seconds.map_or(f64::INFINITY, |s| s * 1000.0))
        .reduce(f64::max)
}

/// The limits after the drop into stage `i`: the whole-run `p95 <`/`error_rate <`
/// thresholds, else 10% over the reference stage's own figures.
fn limits(record: &RunShape<'_>, i: usize) -> Option<(f64, f64, String)> {
    let threshold = |stat: &dyn Fn(Stat) -> bool| {
        record
            .thresholds
            .iter()
            .find(|t| t.request.is_none() && t.window_s.is_none() && stat(t.stat))
            .filter(|t| matches!(t.op, Op::Lt | Op::Le))
            .map(|t| t.limit)
    };
    let p95 = threshold(&|s| s == Stat::Percentile { pct: 95.0 });
    let errors = threshold(&|s| s == Stat::ErrorRate);
    if let (Some(p95), Some(errors)) = (p95, errors) {
        return Some((p95, errors, "thresholds".into()));
    }
    let target = record.stages[i].target;
    let reference = (0..i - 1)
        .rev()
        .find(|&j| record.stages[j].target <= target && j < record.per_stage.len())?;
    let stats = &record.per_stage[reference];
    let ref_p95 = stats.reading(Stat::Percentile { pct: 95.0 }, 1.0)?;
    let ref_errors = stats.error_rate();
    Some((
        p95.unwrap_or(ref_p95 * REFERENCE_SLACK),
        errors.unwrap_or((ref_errors * REFERENCE_SLACK).max(ERROR_RATE_FLOOR)),
        record.stage_label(reference),
    ))
}

/// Seconds from `at` to the start of the first whole second with requests whose
/// p95 and error rate are within the limits; `None` if none comes.
fn seconds_until_healthy(
    series: &[SecondRow],
    at: Duration,
    p95_limit_ms: f64,
    error_rate_limit: f64,
) -> Option<f64> {
    let first = at.as_secs_f64().ceil() as usize;
    series.iter().skip(first).find_map(|row| {
        let healthy = row.requests > 0
            && row.latency.p95_us as f64 / 1000.0 <= p95_limit_ms
            && row.errors() as f64 / row.requests as f64 <= error_rate_limit;
        healthy.then(|| (f64::from(row.t_s) - at.as_secs_f64()).max(0.0))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::dashboard::Percentiles;

    fn row(t_s: u32, p95_ms: u64, errors: u64) -> SecondRow {
        let mut classes = [0; crate::outcome::OutcomeClass::COUNT];
        classes[0] = 100 - errors;
        classes[crate::outcome::OutcomeClass::S500.index()] = errors;
        SecondRow {
            t_s,
            requests: 100,
            classes,
            latency: Percentiles {
                p95_us: p95_ms * 1000,
                ..Percentiles::default()
            },
            ..SecondRow::default()
        }
    }

    #[test]
    fn counts_whole_seconds_until_both_figures_are_back() {
        let series = [
            row(0, 900, 0),
            row(1, 900, 0),
            row(2, 100, 20),
            row(3, 100, 0),
            row(4, 100, 0),
        ];
        let at = Duration::from_millis(500);
        assert_eq!(seconds_until_healthy(&series, at, 200.0, 0.01), Some(2.5));
        assert_eq!(seconds_until_healthy(&series, at, 50.0, 0.01), None);
        assert_eq!(
            seconds_until_healthy(&series, Duration::from_secs(1), 1000.0, 0.5),
            Some(0.0)
        );
    }
}
