//! The watched target's and loadpilot's own health over the run: one
//! [`HealthSample`] per system sample (`sysmon`), kept by the aggregator in a
//! bounded [`HealthSeries`], and the readings thresholds and find-limit's
//! `--until` take from it over a span of the run (the whole run, a stage, a
//! step's second half, the last 30 s): the peak of a memory figure, the mean
//! CPU, and the least-squares slope of the target's memory (the leak detector).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::metrics::dashboard::{MAX_WATCHED, SystemStatus};
use crate::threshold::HealthMetric;

/// Samples kept before the series is thinned (every other one dropped and the
/// spacing doubled), so a day-long run at a fast `--watch-every` stays bounded.
const MAX_SAMPLES: usize = 20_000;
/// Fewer samples than this fit no slope.
pub const MIN_FIT_SAMPLES: usize = 3;

/// One reading of the system figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct HealthSample {
    /// Run time of the reading, milliseconds.
    pub at_ms: u64,
    /// The watched target's resident memory, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_rss: Option<u64>,
    /// The target's CPU, percent of one core.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_cpu_pct: Option<f64>,
    /// The target's resident memory as a share of its memory limit (its cgroup's,
    /// else the host's), percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_mem_pct: Option<f64>,
    /// loadpilot's own resident memory, bytes, and CPU, percent of one core.
    pub self_rss: u64,
    pub self_cpu_pct: f64,
    /// `watch.NAME` values, in the order of [`HealthSeries::watch_names`].
    #[serde(default)]
    pub watch: [Option<f64>; MAX_WATCHED],
}

impl HealthSample {
    /// The sample a system status makes at run time `at`; `None` before sysmon's
    /// first reading (everything zero).
    pub fn from_status(at: Duration, status: &SystemStatus) -> Option<HealthSample> {
        if status.host_total == 0 && status.target_rss.is_none() {
            return None;
        }
        let limit = status.target_mem_limit.unwrap_or(status.host_total).max(1);
        Some(HealthSample {
            at_ms: at.as_millis() as u64,
            target_rss: status.target_rss,
            target_cpu_pct: status.target_cpu_pct,
            target_mem_pct: status
                .target_rss
                .map(|rss| rss as f64 / limit as f64 * 100.0),
            self_rss: status.self_rss,
            self_cpu_pct: status.self_cpu_pct,
            watch: status.watch,
        })
    }

    fn at(&self) -> Duration {
        Duration::from_millis(self.at_ms)
    }
}

/// A least-squares line through the target's memory over a span.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LeakFit {
    /// Growth, bytes per minute (negative: shrinking).
    pub slope_bytes_per_min: f64,
    /// How well the line fits, 0 to 1 (1: every sample on it; a flat series is 1).
    pub r2: f64,
    pub samples: usize,
    /// The span the samples cover, seconds of run time.
    pub from_s: f64,
    pub to_s: f64,
}

/// The health samples of a run, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HealthSeries {
    /// The names of the `watch.NAME` metrics, in the order of each sample's `watch`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub watch_names: Vec<String>,
    pub samples: Vec<HealthSample>,
    /// The least time between kept samples, ms (grows as the series is thinned).
    #[serde(default)]
    pub spacing_ms: u64,
}

impl HealthSeries {
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    pub fn new(watch_names: Vec<String>) -> HealthSeries {
        HealthSeries {
            watch_names,
            ..HealthSeries::default()
        }
    }

    /// Adds a sample, unless it comes sooner than the spacing after the last one.
    pub fn push(&mut self, sample: HealthSample) {
        if let Some(last) = self.samples.last()
            && sample.at_ms < last.at_ms + self.spacing_ms
        {
            return;
        }
        self.samples.push(sample);
        if self.samples.len() >= MAX_SAMPLES {
            let mut i = 0;
            self.samples.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            self.spacing_ms = (self.spacing_ms * 2).max(1000);
        }
    }

    /// The samples taken in `[from, to)` of run time.
    fn span(&self, from: Duration, to: Duration) -> &[HealthSample] {
        let first = self.samples.partition_point(|s| s.at() < from);
        let end = self.samples.partition_point(|s| s.at() < to);
        &self.samples[first..end.max(first)]
    }

    /// What `metric` reads over `[from, to)`; `watch` names the `watch.NAME`
    /// metric. `None` ("no data") when nothing was sampled there.
    pub fn reading(
        &self,
        metric: HealthMetric,
        watch: Option<&str>,
        from: Duration,
        to: Duration,
    ) -> Option<f64> {
        let span = self.span(from, to);
        let peak =
            |f: &dyn Fn(&HealthSample) -> Option<f64>| span.iter().filter_map(f).reduce(f64::max);
        let mean = |f: &dyn Fn(&HealthSample) -> Option<f64>| {
            let values: Vec<f64> = span.iter().filter_map(f).collect();
            (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
        };
        match metric {
            HealthMetric::TargetRss => peak(&|s| s.target_rss.map(|b| b as f64)),
            HealthMetric::TargetMem => peak(&|s| s.target_mem_pct),
            HealthMetric::TargetCpu => mean(&|s| s.target_cpu_pct),
            HealthMetric::SelfRss => peak(&|s| (s.self_rss > 0).then_some(s.self_rss as f64)),
            HealthMetric::SelfCpu => mean(&|s| (s.self_rss > 0).then_some(s.self_cpu_pct)),
            HealthMetric::TargetRssSlope => fit(span).map(|f| f.slope_bytes_per_min),
            HealthMetric::Watch => {
                let slot = self
                    .watch_names
                    .iter()
                    .position(|n| Some(n.as_str()) == watch)?;
                peak(&|s| s.watch[slot])
            }
        }
    }

    /// The leak fit over `[from, to)`, when it holds enough samples.
    pub fn fit(&self, from: Duration, to: Duration) -> Option<LeakFit> {
        fit(self.span(from, to))
    }
}

/// Least squares of the target's memory (bytes) against time (minutes).
fn fit(span: &[HealthSample]) -> Option<LeakFit> {
    let points: Vec<(f64, f64)> = span
        .iter()
        .filter_map(|s| Some((s.at_ms as f64 / 60_000.0, s.target_rss? as f64)))
        .collect();
    if points.len() < MIN_FIT_SAMPLES {
        return None;
    }
    let n = points.len() as f64;
    let mean_t = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_b = points.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut stt, mut sbb, mut stb) = (0.0, 0.0, 0.0);
    for (t, b) in &points {
        stt += (t - mean_t) * (t - mean_t);
        sbb += (b - mean_b) * (b - mean_b);
        stb += (t - mean_t) * (b - mean_b);
    }
    if stt <= 0.0 {
        return None; // every sample at the same instant
    }
    let r2 = if sbb > 0.0 {
        stb * stb / (stt * sbb)
    } else {
        1.0
    };
    Some(LeakFit {
        slope_bytes_per_min: stb / stt,
        r2,
        samples: points.len(),
        from_s: points[0].0 * 60.0,
        to_s: points[points.len() - 1].0 * 60.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at_ms: u64, rss: u64) -> HealthSample {
        HealthSample {
            at_ms,
            target_rss: Some(rss),
            target_cpu_pct: Some(at_ms as f64 / 100.0),
            target_mem_pct: Some(rss as f64 / 1e9 * 100.0),
            self_rss: 10,
            self_cpu_pct: 5.0,
            ..HealthSample::default()
        }
    }

    #[test]
    fn slope_of_a_steady_leak_is_its_rate() {
        let mut series = HealthSeries::default();
        // 1 MB more every 6 s: 10 MB per minute, exactly.
        for i in 0..10 {
            series.push(sample(i * 6_000, 100_000_000 + i * 1_000_000));
        }
        let all = Duration::from_secs(3600);
        let fit = series.fit(Duration::ZERO, all).unwrap();
        assert!(
            (fit.slope_bytes_per_min - 10_000_000.0).abs() < 1.0,
            "{fit:?}"
        );
        assert!((fit.r2 - 1.0).abs() < 1e-9);
        assert_eq!(fit.samples, 10);
        assert_eq!((fit.from_s, fit.to_s), (0.0, 54.0));
        let slope = series.reading(HealthMetric::TargetRssSlope, None, Duration::ZERO, all);
        assert_eq!(slope, Some(fit.slope_bytes_per_min));
    }

    #[test]
    fn noise_without_growth_fits_a_flat_line_badly() {
        let mut series = HealthSeries::default();
        for (i, rss) in [100, 104, 99, 103, 100, 104, 99, 103].iter().enumerate() {
            series.push(sample(i as u64 * 1000, rss * 1_000_000));
        }
        let fit = series.fit(Duration::ZERO, Duration::from_secs(60)).unwrap();
        assert!(fit.slope_bytes_per_min.abs() < 15_000_000.0, "{fit:?}");
        assert!(fit.r2 < 0.2, "{fit:?}");
    }

    #[test]
    fn readings_peak_mean_and_no_data() {
        let mut series = HealthSeries::new(vec!["queue".into()]);
        for (i, rss) in [300u64, 500, 400].iter().enumerate() {
            let mut s = sample(i as u64 * 1000, *rss);
            s.watch[0] = Some(*rss as f64 / 100.0);
            series.push(s);
        }
        let (from, to) = (Duration::ZERO, Duration::from_secs(10));
        let read = |m| series.reading(m, Some("queue"), from, to);
        assert_eq!(read(HealthMetric::TargetRss), Some(500.0));
        assert_eq!(
            read(HealthMetric::TargetCpu),
            Some(10.0),
            "mean of 0, 10, 20"
        );
        assert_eq!(read(HealthMetric::SelfCpu), Some(5.0));
        assert_eq!(read(HealthMetric::Watch), Some(5.0));
        assert_eq!(
            series.reading(HealthMetric::Watch, Some("other"), from, to),
            None
        );
        // Two samples fit no slope; an empty span has no data.
        let late = Duration::from_millis(1500);
        assert_eq!(
            series.reading(HealthMetric::TargetRssSlope, None, late, to),
            None
        );
        assert_eq!(
            series.reading(HealthMetric::TargetRss, None, to, to * 2),
            None
        );
        // A stage's span: only the samples in it.
        let first = series.reading(HealthMetric::TargetRss, None, from, late);
        assert_eq!(first, Some(500.0));
    }

    #[test]
    fn a_long_series_is_thinned_not_grown() {
        let mut series = HealthSeries::default();
        for i in 0..(MAX_SAMPLES as u64 * 3) {
            series.push(sample(i * 100, i));
        }
        assert!(
            series.samples.len() < MAX_SAMPLES,
            "{}",
            series.samples.len()
        );
        assert!(series.samples.windows(2).all(|w| w[0].at_ms < w[1].at_ms));
        let last = series.samples.last().unwrap().at_ms;
        assert!(
            last > (MAX_SAMPLES as u64 * 3 - 20) * 100,
            "the newest samples are kept"
        );
    }
}
