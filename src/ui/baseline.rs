//! A baseline run drawn behind the live one (`--baseline FILE`, `b` in the
//! dashboard, and the "before" run of `loadpilot compare`): its per-second rows,
//! aligned with the live run by elapsed time, and the header's deltas.

use std::path::Path;

use crate::metrics::aggregator::RunRecord;
use crate::metrics::dashboard::{Dashboard, SecondRow};

/// A saved run's series, prepared once; shared (`Arc`) by the UI.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// What the header calls it: the file name, or the profile name.
    pub label: String,
    /// One row per second, `t_s` ascending.
    pub rows: Vec<SecondRow>,
}

impl Baseline {
    pub fn from_record(record: &RunRecord, label: impl Into<String>) -> Baseline {
        Baseline {
            label: label.into(),
            rows: record.series.clone(),
        }
    }

    /// Reads a snapshot file (blocking: call from `spawn_blocking` in the UI).
    pub fn load(path: &Path) -> Result<Baseline, crate::snapshot::SnapshotError> {
        let record = crate::snapshot::read(path)?.to_record()?;
        let label = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
        Ok(Baseline::from_record(&record, label))
    }

    /// The baseline's row for run second `t_s`.
    pub fn row_at(&self, t_s: u32) -> Option<&SecondRow> {
        self.rows
            .binary_search_by_key(&t_s, |r| r.t_s)
            .ok()
            .map(|i| &self.rows[i])
    }

    /// Seconds the baseline covers (for the chart's x range).
    pub fn end_s(&self) -> u32 {
        self.rows.last().map_or(0, |r| r.t_s + 1)
    }

    /// Rows with `t_s` in `[from_s, to_s]`.
    pub fn window(&self, from_s: u32, to_s: u32) -> impl Iterator<Item = &SecondRow> + '_ {
        self.rows
            .iter()
            .filter(move |r| r.t_s >= from_s && r.t_s <= to_s)
    }
}

/// Live minus baseline, compared at the same elapsed second: the live run's last
/// closed second against the baseline's row for that second. (Per second rather
/// than whole-run-so-far, so a regression shows the moment it happens and the
/// numbers match the two curves the charts draw at that x.)
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deltas {
    /// The run second compared.
    pub at_s: u32,
    pub p50_us: i64,
    pub p95_us: i64,
    pub p99_us: i64,
    /// Requests in that second.
    pub rps: f64,
    /// Error share of that second (fraction; +0.01 = one point more errors).
    pub error_rate: f64,
}

impl Deltas {
    /// `None` until the live run has a closed second the baseline also has.
    pub fn between(live: &Dashboard, baseline: &Baseline) -> Option<Deltas> {
        let now = live.series.last()?;
        let then = baseline.row_at(now.t_s)?;
        let us = |a: u64, b: u64| a as i64 - b as i64;
        let rate = |r: &SecondRow| {
            if r.requests == 0 {
                0.0
            } else {
                r.errors() as f64 / r.requests as f64
            }
        };
        Some(Deltas {
            at_s: now.t_s,
            p50_us: us(now.latency.p50_us, then.latency.p50_us),
            p95_us: us(now.latency.p95_us, then.latency.p95_us),
            p99_us: us(now.latency.p99_us, then.latency.p99_us),
            rps: now.requests as f64 - then.requests as f64,
            error_rate: rate(now) - rate(then),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::metrics::dashboard::{Percentiles, Series};
    use crate::outcome::OutcomeClass;

    fn row(t_s: u32, p_ms: u64, ok: u64, errors: u64) -> SecondRow {
        let mut classes = [0; OutcomeClass::COUNT];
        classes[OutcomeClass::Ok.index()] = ok;
        classes[OutcomeClass::Timeout.index()] = errors;
        SecondRow {
            t_s,
            requests: ok + errors,
            classes,
            latency: Percentiles {
                p50_us: p_ms * 1000,
                p90_us: p_ms * 1500,
                p95_us: p_ms * 2000,
                p99_us: p_ms * 3000,
                max_us: p_ms * 5000,
            },
            ..SecondRow::default()
        }
    }

    #[test]
    fn deltas_compare_the_same_elapsed_second() {
        let baseline = Baseline {
            label: "before.json".into(),
            rows: (0..10).map(|t| row(t, 10, 100, 0)).collect(),
        };
        let mut live = Dashboard::empty("p", "http://x");
        assert_eq!(Deltas::between(&live, &baseline), None);
        let rows: Vec<SecondRow> = (0..4).map(|t| row(t, 10 + u64::from(t), 90, 10)).collect();
        live.series = Series {
            chunks: vec![Arc::from(rows)],
        };
        let d = Deltas::between(&live, &baseline).unwrap();
        assert_eq!(d.at_s, 3);
        assert_eq!(d.p50_us, 3_000);
        assert_eq!(d.p95_us, 6_000);
        assert_eq!(d.p99_us, 9_000);
        assert_eq!(d.rps, 0.0);
        assert!((d.error_rate - 0.1).abs() < 1e-9);
        // Past the baseline's end there is nothing to compare.
        let short = Baseline {
            label: String::new(),
            rows: (0..2).map(|t| row(t, 10, 100, 0)).collect(),
        };
        assert_eq!(Deltas::between(&live, &short), None);
        assert_eq!(short.end_s(), 2);
        assert_eq!(baseline.window(2, 4).count(), 3);
    }
}
