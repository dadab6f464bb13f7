//! The journey part of the end-of-run summary: flows, checks, custom metrics, range
//! chunks and personas. `report::Summary` carries it and appends its text.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Table};

use crate::metrics::journey::JourneyStats;
use crate::metrics::record::RunRecord;
use crate::metrics::scope::{ScopeStats, quantile_ms};

pub use crate::metrics::summary_types::{
    CheckSummary, ChunkSummary, FlowSummary, JourneySummary, MetricSummary, PersonaSummary,
};

fn p_ms(s: &ScopeStats, q: f64) -> f64 {
    quantile_ms(&s.hist, q)
}

impl JourneySummary {
    pub fn from_record(record: &RunRecord) -> Option<JourneySummary> {
        let j = &record.journey;
        if j.is_empty() {
            return None;
        }
        Some(JourneySummary {
            flows: flows(j),
            checks: checks(j),
            metrics: metrics(j),
            chunks: (j.chunks > 0).then(|| ChunkSummary {
                count: j.chunks,
                bytes: j.chunk_bytes,
                mb_per_sec: j.chunk_mb_per_sec(),
            }),
            personas: personas(record),
        })
    }

    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let right = |c: Cell| c.set_alignment(CellAlignment::Right);
        if !self.personas.is_empty() {
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED)
                .set_header(vec!["persona", "weight", "requests", "errors", "p95"]);
            for p in &self.personas {
                t.add_row(vec![
                    Cell::new(&p.name),
                    right(Cell::new(p.weight)),
                    right(Cell::new(p.requests)),
                    right(Cell::new(format!("{:.2}%", p.error_rate * 100.0))),
                    right(Cell::new(format!("{:.1}ms", p.p95_ms))),
                ]);
            }
            out.push_str(&format!("\n{t}\n"));
        }
        if !self.flows.is_empty() {
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED)
                .set_header(vec!["flow", "count", "failed", "p50", "p95", "max"]);
            for f in &self.flows {
                t.add_row(vec![
                    Cell::new(&f.name),
                    right(Cell::new(f.count)),
                    right(Cell::new(format!(
                        "{} ({:.2}%)",
                        f.failed,
                        f.failure_rate * 100.0
                    ))),
                    right(Cell::new(format!("{:.1}ms", f.p50_ms))),
                    right(Cell::new(format!("{:.1}ms", f.p95_ms))),
                    right(Cell::new(format!("{:.1}ms", f.max_ms))),
                ]);
            }
            out.push_str(&format!("\n{t}\n"));
        }
        if let Some(c) = &self.checks {
            out.push_str(&format!(
                "\nchecks: {:.1}% ✓ {} ✗ {}\n",
                c.pass_rate * 100.0,
                thousands(c.passed),
                thousands(c.failed)
            ));
            for (label, n) in c.failing.iter().take(10) {
                out.push_str(&format!("  ✗ {label}: {}\n", thousands(*n)));
            }
        }
        for m in &self.metrics {
            out.push_str(&format!(
                "metric {}: {:.1}% ({} of {})\n",
                m.name,
                m.rate * 100.0,
                thousands(m.hits),
                thousands(m.total)
            ));
        }
        if let Some(c) = &self.chunks {
            out.push_str(&format!(
                "range chunks: {} · {} · {:.1} MB/s\n",
                thousands(c.count),
                crate::format::bytes_fixed(c.bytes),
                c.mb_per_sec
            ));
        }
        out
    }
}

/// `12003` → `12,003`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn flows(j: &JourneyStats) -> Vec<FlowSummary> {
    j.config
        .flows
        .iter()
        .zip(&j.flows)
        .map(|(name, s)| FlowSummary {
            name: name.clone(),
            count: s.requests(),
            failed: s.errors(),
            failure_rate: s.error_rate(),
            p50_ms: p_ms(s, 0.5),
            p95_ms: p_ms(s, 0.95),
            p99_ms: p_ms(s, 0.99),
            max_ms: p_ms(s, 1.0),
        })
        .collect()
}

/// Check totals, and the failing checks with the most failures first.
fn checks(j: &JourneyStats) -> Option<CheckSummary> {
    let total = j.checks_passed + j.checks_failed;
    (total > 0).then(|| {
        let mut failing: Vec<(String, u64)> = j
            .config
            .checks
            .iter()
            .zip(&j.check_failures)
            .filter(|(_, n)| **n > 0)
            .map(|(l, n)| (l.clone(), *n))
            .collect();
        failing.sort_by_key(|f| std::cmp::Reverse(f.1));
        CheckSummary {
            passed: j.checks_passed,
            failed: j.checks_failed,
            pass_rate: j.checks_passed as f64 / total as f64,
            failing,
        }
    })
}

/// Custom rate metrics: a hit is recorded as a success in the metric's scope.
fn metrics(j: &JourneyStats) -> Vec<MetricSummary> {
    j.config
        .metrics
        .iter()
        .zip(&j.metrics)
        .map(|(name, s)| MetricSummary {
            name: name.clone(),
            hits: s.requests() - s.errors(),
            total: s.requests(),
            rate: 1.0 - s.error_rate(),
        })
        .collect()
}

/// Each persona's figures, merged from the requests it sends.
fn personas(record: &RunRecord) -> Vec<PersonaSummary> {
    record
        .journey
        .config
        .personas
        .iter()
        .map(|(name, weight, requests)| {
            let mut merged = ScopeStats::default();
            for &i in requests {
                if let Some(s) = record.per_request.get(i) {
                    merged.merge(s);
                }
            }
            PersonaSummary {
                name: name.clone(),
                weight: *weight,
                requests: merged.requests(),
                errors: merged.errors(),
                error_rate: merged.error_rate(),
                p95_ms: p_ms(&merged, 0.95),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_separators() {
        assert_eq!(super::thousands(12003), "12,003");
        assert_eq!(super::thousands(24), "24");
        assert_eq!(super::thousands(1_000_000), "1,000,000");
    }
}
