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
/// Most scopes one run keeps statistics for: named requests (each persona's own),
/// flows, custom metrics and stages together. Each costs a histogram of 16 KB or more
/// per copy (whole run, per-second window, snapshots), so this bounds a run's memory
/// at a few hundred MB before any request is sent; it also keeps request indices
/// within the 16 bits a [`Sample`] carries.
pub const MAX_SCOPES: usize = 10_000;

/// A profile with more scopes than [`MAX_SCOPES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the run would keep statistics for {total} scopes ({requests} requests, {flows} flows, \
     {metrics} custom metrics, {stages} stages), more than the {MAX_SCOPES} loadpilot allows; \
     merge requests that differ only by a parameter into one request, or use fewer stages"
)]
pub struct TooManyScopes {
    pub total: usize,
    pub requests: usize,
    pub flows: usize,
    pub metrics: usize,
    pub stages: usize,
}

/// Checks a run's scope count against [`MAX_SCOPES`].
pub fn check_scope_count(
    requests: usize,
    flows: usize,
    metrics: usize,
    stages: usize,
) -> Result<(), TooManyScopes> {
    let total = requests + flows + metrics + stages;
    if total > MAX_SCOPES {
        return Err(TooManyScopes {
            total,
            requests,
            flows,
            metrics,
            stages,
        });
    }
    Ok(())
}

/// A histogram from 1 µs at 3 significant digits that grows with what it records:
/// it starts at ~16 KB and reaches ~190 KB only once values near the 1 h cap are
/// recorded (values above [`MAX_TRACKABLE_US`] are clamped by [`ScopeStats::add`]).
/// Same buckets, so the same numbers, as a fixed 1 µs–1 h histogram: only the
/// unused top is not allocated, and a run with many scopes pays for what they saw.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new(SIGNIFICANT_DIGITS).expect("static histogram precision is valid")
}

/// The percentiles a series row and a frame show; all zero for an empty histogram.
pub fn percentiles(hist: &Histogram<u64>) -> Percentiles {
    if hist.is_empty() {
        return Percentiles::default();
    }
    Percentiles {
        p50_us: hist.value_at_quantile(0.50),
        p90_us: hist.value_at_quantile(0.90),
        p95_us: hist.value_at_quantile(0.95),
        p99_us: hist.value_at_quantile(0.99),
        max_us: hist.max(),
    }
}

/// The latency at `quantile` (0..=1) in milliseconds, 0 for an empty histogram
/// (summaries print a number for every scope).
pub fn quantile_ms(hist: &Histogram<u64>, quantile: f64) -> f64 {
    if hist.is_empty() {
        0.0
    } else {
        hist.value_at_quantile(quantile) as f64 / 1000.0
    }
}

/// Latency histograms, class counts and arrival counts of one scope.
///
/// `hist` is the latency everything reads (thresholds, charts, summaries). In the
/// closed model it is the service time. In the open model it runs from each
/// arrival's *intended* start, so a stall that delays sending shows up in full
/// (no coordinated omission); with `--expected-interval` in the closed model it is
/// HdrHistogram's corrected record. In both of those cases `service` keeps the
/// plain service time beside it; it is `None` when the two are the same.
#[derive(Debug, Clone)]
pub struct ScopeStats {
    pub hist: Histogram<u64>,
    pub service: Option<Histogram<u64>>,
    pub classes: [u64; OutcomeClass::COUNT],
    /// Open model: arrivals the schedule produced (dropped ones included).
    pub arrivals: u64,
    /// Open model: arrivals that could not be sent on time, by [`DropReason`].
    pub dropped: [u64; DropReason::COUNT],
}

/// Why an arrival of the open model was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Every VU was busy and `max_vus` were running.
    NoVuFree,
    /// The loader itself fell behind its schedule (CPU saturated) by more than it
    /// may catch up.
    LoaderBehind,
}

impl DropReason {
    pub const COUNT: usize = 2;
    pub const ALL: [DropReason; DropReason::COUNT] =
        [DropReason::NoVuFree, DropReason::LoaderBehind];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn label(self) -> &'static str {
        match self {
            DropReason::NoVuFree => "no VU free",
            DropReason::LoaderBehind => "loader behind",
        }
    }
}

impl Default for ScopeStats {
    fn default() -> Self {
        ScopeStats {
            hist: new_histogram(),
            service: None,
            classes: [0; OutcomeClass::COUNT],
            arrivals: 0,
            dropped: [0; DropReason::COUNT],
        }
    }
}

/// Records `us` (clamped to 1 µs–1 h), growing the histogram as needed.
fn record(hist: &mut Histogram<u64>, us: u64) {
    // `record`, not `saturating_record`: the latter clamps to the current top
    // instead of growing. The clamp to 1 h keeps the old fixed range's cap.
    let us = us.clamp(1, MAX_TRACKABLE_US);
    if hist.record(us).is_err() {
        // Growing failed (a counts array past `usize`, not on 64-bit): keep the
        // sample at the top rather than lose it.
        hist.saturating_record(us);
    }
}

impl ScopeStats {
    /// Records one request. Every request's latency counts, failed ones included
    /// (a timeout's latency is the timeout), as the live chart would otherwise hide
    /// slow failures.
    pub fn add(&mut self, sample: &Sample) {
        let service = u64::from(sample.latency_us);
        match sample.schedule_delay_us {
            Some(delay) => {
                record(&mut self.hist, service + u64::from(delay));
                record(self.service.get_or_insert_with(new_histogram), service);
            }
            None => record(&mut self.hist, service),
        }
        self.classes[sample.class.index()] += 1;
    }

    /// Records one closed-model request with HdrHistogram's correction for an
    /// expected interval between requests: a request that took `k` intervals also
    /// records the `k - 1` requests a steady sender would have waited behind it.
    /// The plain time goes to `service`.
    pub fn add_corrected(&mut self, sample: &Sample, interval_us: u64) {
        let service = u64::from(sample.latency_us).clamp(1, MAX_TRACKABLE_US);
        if self.hist.record_correct(service, interval_us).is_err() {
            self.hist.saturating_record(service);
        }
        record(self.service.get_or_insert_with(new_histogram), service);
        self.classes[sample.class.index()] += 1;
    }

    /// Counts the open model's arrivals and drops (from a VU batch's counts).
    pub fn add_arrivals(&mut self, arrivals: u64, dropped: &[u64; DropReason::COUNT]) {
        self.arrivals += arrivals;
        for (a, b) in self.dropped.iter_mut().zip(dropped) {
            *a += b;
        }
    }

    pub fn merge(&mut self, other: &ScopeStats) {
        // Both grow on demand (see `new_histogram`, `hist_codec::decode`), so adding
        // only fails if a count array outgrows `usize`, which 1 h at 3 digits cannot.
        self.hist
            .add(&other.hist)
            .expect("auto-resizing histograms add");
        if let Some(theirs) = &other.service {
            self.service
                .get_or_insert_with(new_histogram)
                .add(theirs)
                .expect("auto-resizing histograms add");
        }
        for (a, b) in self.classes.iter_mut().zip(other.classes) {
            *a += b;
        }
        self.add_arrivals(other.arrivals, &other.dropped);
    }

    pub fn reset(&mut self) {
        self.hist.reset();
        if let Some(service) = &mut self.service {
            service.reset();
        }
        self.classes = [0; OutcomeClass::COUNT];
        self.arrivals = 0;
        self.dropped = [0; DropReason::COUNT];
    }

    /// `(class label, count)` for each error class seen, in [`OutcomeClass::ALL`]
    /// order, collected into whatever the summary (a map) or the snapshot (a list) keeps.
    pub fn class_counts<C: FromIterator<(String, u64)>>(&self) -> C {
        OutcomeClass::ALL
            .iter()
            .filter(|c| self.classes[c.index()] > 0)
            .map(|c| (c.label().to_string(), self.classes[c.index()]))
            .collect()
    }

    /// `(reason label, count)` for each drop reason seen, in [`DropReason::ALL`] order.
    pub fn dropped_counts<C: FromIterator<(String, u64)>>(&self) -> C {
        DropReason::ALL
            .iter()
            .filter(|r| self.dropped[r.index()] > 0)
            .map(|r| (r.label().to_string(), self.dropped[r.index()]))
            .collect()
    }

    /// Arrivals dropped, all reasons.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }

    /// Share of the schedule's arrivals that were dropped (0..=1).
    pub fn dropped_rate(&self) -> f64 {
        ratio(self.dropped_total(), self.arrivals)
    }

    /// The service-time percentiles when they differ from [`ScopeStats::percentiles`].
    pub fn service_percentiles(&self) -> Option<Percentiles> {
        self.service.as_ref().map(percentiles)
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
        percentiles(&self.hist)
    }

    /// The value a threshold compares, or `None` when the scope recorded nothing
    /// ("no data": a percentile or a rate of zero requests is undefined; a rate per
    /// second of zero requests is 0/s, a measurement).
    pub fn reading(&self, stat: Stat, secs: f64) -> Option<f64> {
        let has_data = match stat {
            Stat::Rps => true,
            // Only an open-model run schedules arrivals.
            Stat::DroppedRate => self.arrivals > 0,
            _ => self.requests() > 0,
        };
        has_data.then(|| self.stat(stat, secs))
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
            Stat::DroppedRate => self.dropped_rate(),
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
            schedule_delay_us: None,
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
    fn histograms_start_small_and_keep_full_precision() {
        let empty = ScopeStats::default();
        let fixed =
            Histogram::<u64>::new_with_bounds(1, MAX_TRACKABLE_US, SIGNIFICANT_DIGITS).unwrap();
        // What 1,000 idle requests cost: a tenth of a fixed 1 µs–1 h histogram each.
        assert!(
            empty.hist.distinct_values() * 10 <= fixed.distinct_values(),
            "{} vs {} counters",
            empty.hist.distinct_values(),
            fixed.distinct_values()
        );
        let mut grown = ScopeStats::default();
        let mut fixed = fixed;
        for us in [1u32, 999, 1_234, 56_789, 2_000_000, u32::MAX] {
            grown.add(&sample(us, OutcomeClass::Ok));
            fixed.saturating_record(u64::from(us).min(MAX_TRACKABLE_US));
        }
        for q in [0.0, 0.25, 0.5, 0.75, 0.9, 1.0] {
            assert_eq!(
                grown.hist.value_at_quantile(q),
                fixed.value_at_quantile(q),
                "q {q}"
            );
        }
        // Clamped at 1 h like the fixed histogram, not grown to 71 minutes.
        assert_eq!(grown.hist.max(), fixed.max());
        assert!(grown.hist.max() <= fixed.highest_equivalent(MAX_TRACKABLE_US));
        // A small histogram takes a large one's values, and the other way round.
        let mut small = ScopeStats::default();
        small.add(&sample(10, OutcomeClass::Ok));
        small.merge(&grown);
        assert_eq!(small.hist.len(), 7);
        assert_eq!(small.hist.max(), grown.hist.max());
    }

    #[test]
    fn an_empty_scope_has_no_data_except_for_rps() {
        let empty = ScopeStats::default();
        for stat in [
            Stat::Percentile { pct: 99.0 },
            Stat::Mean,
            Stat::ErrorRate,
            Stat::MetricRate,
        ] {
            assert_eq!(empty.reading(stat, 1.0), None, "{stat:?}");
        }
        assert_eq!(empty.reading(Stat::Rps, 2.0), Some(0.0));
        let mut one = ScopeStats::default();
        one.add(&sample(2000, OutcomeClass::Ok));
        assert_eq!(one.reading(Stat::ErrorRate, 1.0), Some(0.0));
    }

    #[test]
    fn scope_cap_names_the_counts() {
        assert!(check_scope_count(MAX_SCOPES - 3, 1, 1, 1).is_ok());
        let err = check_scope_count(MAX_SCOPES, 0, 0, 2).unwrap_err();
        assert_eq!(err.total, MAX_SCOPES + 2);
        let text = err.to_string();
        assert!(
            text.contains("10002 scopes") && text.contains("2 stages"),
            "{text}"
        );
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
