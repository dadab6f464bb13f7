//! What the search found: one row per step and the verdict, as a table for the
//! terminal and as JSON for the summary file and the snapshot.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Table};
use serde::{Deserialize, Serialize};

use crate::format::format_stat;
use crate::metrics::scope::{ScopeStats, quantile_ms};
use crate::plan::LoadModel;
use crate::threshold::Stat;

use super::StepWindow;

/// One step, judged over its second half.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepResult {
    /// 1-based.
    pub step: usize,
    pub load: u32,
    pub from_s: f64,
    pub to_s: f64,
    pub requests: u64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub error_rate: f64,
    pub dropped: u64,
    /// Each `--until` condition's reading, in order (`None`: no data).
    pub readings: Vec<Option<f64>>,
    /// The condition that held, with its reading, when the step failed.
    pub failed: Option<(String, f64)>,
    #[serde(skip)]
    failed_stat: Option<Stat>,
}

impl StepResult {
    pub(super) fn new(
        window: StepWindow,
        stats: &ScopeStats,
        secs: f64,
        readings: Vec<Option<f64>>,
        failed: Option<(String, f64, Stat)>,
    ) -> StepResult {
        StepResult {
            step: window.step + 1,
            load: window.level,
            from_s: window.from.as_secs_f64(),
            to_s: window.to.as_secs_f64(),
            requests: stats.requests(),
            rps: stats.requests() as f64 / secs,
            p50_ms: quantile_ms(&stats.hist, 0.50),
            p95_ms: quantile_ms(&stats.hist, 0.95),
            p99_ms: quantile_ms(&stats.hist, 0.99),
            error_rate: stats.error_rate(),
            dropped: stats.dropped_total(),
            readings,
            failed_stat: failed.as_ref().map(|f| f.2),
            failed: failed.map(|(text, value, _)| (text, value)),
        }
    }

    /// The event-log line for this step.
    pub fn annotation(&self, model: LoadModel) -> String {
        let load = model.format_target(self.load);
        match (&self.failed, self.failed_stat) {
            (Some((text, value)), Some(stat)) => format!(
                "find-limit: step {} ({load}) FAILED: {text} (now {})",
                self.step,
                format_stat(stat, *value)
            ),
            _ => format!(
                "find-limit: step {} ({load}) passed: p95 {:.1}ms, errors {:.2}%",
                self.step,
                self.p95_ms,
                self.error_rate * 100.0
            ),
        }
    }
}

/// The search's outcome.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FindLimitResult {
    /// `vus` or `rate`.
    pub model: LoadModel,
    /// The highest level that passed (`None`: even the first step failed).
    pub limit: Option<u32>,
    /// The first failing step (1-based), if one failed.
    pub failed_step: Option<usize>,
    /// True when every step up to `--max` passed: the limit is above the range.
    pub reached_max: bool,
    pub steps: Vec<StepResult>,
}

impl FindLimitResult {
    /// The limit is the highest passing load below the lowest failing one (with
    /// `--refine` a bisection step may pass above an earlier one or fail below
    /// it); the failing step reported is that lowest failing one.
    pub fn new(model: LoadModel, steps: Vec<StepResult>, planned_steps: usize) -> FindLimitResult {
        let failed = steps
            .iter()
            .filter(|s| s.failed.is_some())
            .min_by_key(|s| s.load);
        let ceiling = failed.map_or(u32::MAX, |f| f.load);
        let limit = steps
            .iter()
            .filter(|s| s.failed.is_none() && s.load < ceiling)
            .map(|s| s.load)
            .max();
        FindLimitResult {
            model,
            limit,
            failed_step: failed.map(|s| s.step),
            reached_max: failed.is_none() && steps.len() == planned_steps,
            steps,
        }
    }

    /// The verdict line and the table of steps.
    pub fn render_text(&self) -> String {
        let fmt = |n: u32| self.model.format_target(n);
        let failed = self
            .failed_step
            .and_then(|n| self.steps.iter().find(|s| s.step == n));
        let verdict = match (self.limit, failed) {
            (_, None) if self.reached_max => format!(
                "find-limit: every step passed up to {}: the limit is higher (raise --max)",
                fmt(self.steps.last().map_or(0, |s| s.load))
            ),
            (_, None) => "find-limit: the run ended before a step failed".to_string(),
            (None, Some(f)) => format!(
                "find-limit: even the first step ({}) failed: {}",
                fmt(f.load),
                f.failed.as_ref().map_or("", |x| &x.0)
            ),
            (Some(limit), Some(f)) => format!(
                "find-limit: highest sustainable load {}; step {} ({}) failed: {}",
                fmt(limit),
                f.step,
                fmt(f.load),
                f.failed.as_ref().map_or("", |x| &x.0)
            ),
        };
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED);
        table.set_header(vec![
            "step", "load", "rps", "p50", "p95", "p99", "errors", "dropped", "verdict",
        ]);
        for s in &self.steps {
            let right = |text: String| Cell::new(text).set_alignment(CellAlignment::Right);
            table.add_row(vec![
                right(s.step.to_string()),
                right(fmt(s.load)),
                right(format!("{:.1}", s.rps)),
                right(crate::format::ms(s.p50_ms)),
                right(crate::format::ms(s.p95_ms)),
                right(crate::format::ms(s.p99_ms)),
                right(format!("{:.2}%", s.error_rate * 100.0)),
                right(s.dropped.to_string()),
                Cell::new(match &s.failed {
                    Some((text, _)) => format!("✗ {text}"),
                    None => "✓ pass".into(),
                }),
            ]);
        }
        format!("\n{verdict}\n{table}\n")
    }
}
