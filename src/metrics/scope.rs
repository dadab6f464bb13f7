//! Statistics over one scope (the whole run, one request, one second): an HDR
//! histogram of latencies plus counts by class, and the threshold statistics read
//! from them. The same code serves live threshold badges and the final summary, so
//! both always agree.

use hdrhistogram::Histogram;

use crate::metrics::dashboard::Percentiles;
use crate::metrics::sample::Sample;
use crate::outcome::OutcomeClass;
use crate::threshold::Stat;

/// Highest trackable latency: one hour, in microseconds.
pub const MAX_TRACKABLE_US: u64 = 3_600_000_000;
/// Significant digits kept by every histogram.
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// A histogram over 1 µs–1 h at 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_TRACKABLE_US, SIGNIFICANT_DIGITS)
        .expect("static histogram bounds are valid")
}

/// Latency histogram and class counts of one scope.
#[derive(Debug, Clone)]
pub struct ScopeStats {
    pub hist: Histogram<u64>,
    pub classes: [u64; OutcomeClass::COUNT],
}

impl Default for ScopeStats {
    fn default() -> Self {
        ScopeStats {
            hist: new_histogram(),
            classes: [0; OutcomeClass::COUNT],
        }
    }
}

impl ScopeStats {
    pub fn add(&mut self, sample: &Sample) {
        // Every request's latency counts, failed ones included (a timeout's latency
        // is the timeout), as the live chart would otherwise hide slow failures.
        self.hist
            .saturating_record(u64::from(sample.latency_us).max(1));
        self.classes[sample.class.index()] += 1;
    }

    pub fn merge(&mut self, other: &ScopeStats) {
        self.hist.add(&other.hist).expect("histograms share bounds");
        for (a, b) in self.classes.iter_mut().zip(other.classes) {
            *a += b;
        }
    }

    pub fn reset(&mut self) {
        self.hist.reset();
        self.classes = [0; OutcomeClass::COUNT];
    }

    pub fn requests(&self) -> u64 {
        self.classes.iter().sum()
    }

    pub fn errors(&self) -> u64 {
        self.requests() - self.classes[OutcomeClass::Ok.index()]
    }

    pub fn error_rate(&self) -> f64 {
        ratio(self.errors(), self.requests())
    }

    pub fn percentiles(&self) -> Percentiles {
        if self.hist.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            p50_us: self.hist.value_at_quantile(0.50),
            p90_us: self.hist.value_at_quantile(0.90),
            p95_us: self.hist.value_at_quantile(0.95),
            p99_us: self.hist.value_at_quantile(0.99),
            max_us: self.hist.max(),
        }
    }

    /// The value a threshold compares, in its canonical unit (ms, fraction, per
    /// second). `secs` is the time the scope covers, for `rps`.
    pub fn stat(&self, stat: Stat, secs: f64) -> f64 {
        let us_to_ms = |us: u64| us as f64 / 1000.0;
        match stat {
            Stat::Percentile { pct } if self.hist.is_empty() => {
                let _ = pct;
                0.0
            }
            Stat::Percentile { pct } if pct >= 100.0 => us_to_ms(self.hist.max()),
            Stat::Percentile { pct } if pct <= 0.0 => us_to_ms(self.hist.min()),
            Stat::Percentile { pct } => us_to_ms(self.hist.value_at_percentile(pct)),
            Stat::Mean => self.hist.mean() / 1000.0,
            Stat::ErrorRate => self.error_rate(),
            Stat::ClassRate { class } => ratio(self.classes[class.index()], self.requests()),
            // Custom rate metrics record a hit as `Ok` (see `metrics::journey`).
            Stat::MetricRate => ratio(self.classes[OutcomeClass::Ok.index()], self.requests()),
            Stat::Rps => {
                if secs > 0.0 {
                    self.requests() as f64 / secs
                } else {
                    0.0
                }
            }
        }
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(latency_us: u32, class: OutcomeClass) -> Sample {
        Sample {
            latency_us,
            request: 0,
            status: 200,
            class,
        }
    }

    #[test]
    fn stats_in_canonical_units() {
        let mut s = ScopeStats::default();
        for i in 1..=100 {
            s.add(&sample(i * 1000, OutcomeClass::Ok));
        }
        s.add(&sample(5000, OutcomeClass::S429));
        assert_eq!(s.requests(), 101);
        let p95 = s.stat(Stat::Percentile { pct: 95.0 }, 1.0);
        assert!((p95 - 95.0).abs() < 0.2, "p95 {p95}");
        assert!((s.stat(Stat::Percentile { pct: 100.0 }, 1.0) - 100.0).abs() < 0.1);
        assert!(
            (s.stat(
                Stat::ClassRate {
                    class: OutcomeClass::S429
                },
                1.0
            ) - 1.0 / 101.0)
                .abs()
                < 1e-12
        );
        assert!((s.stat(Stat::ErrorRate, 1.0) - 1.0 / 101.0).abs() < 1e-12);
        assert!((s.stat(Stat::Rps, 10.0) - 10.1).abs() < 1e-9);
    }

    #[test]
    fn merge_adds_exactly() {
        let mut a = ScopeStats::default();
        let mut b = ScopeStats::default();
        a.add(&sample(100, OutcomeClass::Ok));
        b.add(&sample(200_000, OutcomeClass::Timeout));
        a.merge(&b);
        assert_eq!(a.requests(), 2);
        assert_eq!(a.hist.len(), 2);
        assert_eq!(a.classes[OutcomeClass::Timeout.index()], 1);
    }
}
