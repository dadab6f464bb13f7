//! Journey metrics: flow times and success, check pass counts, custom rate metrics
//! and range-chunk throughput.
//!
//! VUs add compact [`JourneyCounts`] to their [`Batch`](super::recorder::Batch) (no
//! per-request messages); the aggregator folds them into one [`JourneyStats`], which
//! it owns like every other statistic. Thresholds on a flow (`"job.p95"`) or a custom
//! metric (`cache_hit > 80%`) read the [`ScopeStats`] returned by [`JourneyStats::scope`].

use crate::metrics::sample::Sample;
use crate::metrics::scope::ScopeStats;
use crate::outcome::OutcomeClass;
use crate::profile::{Choice, Profile};

/// Names the aggregator needs to report journey metrics.
#[derive(Debug, Clone, Default)]
pub struct JourneyConfig {
    pub flows: Vec<String>,
    pub metrics: Vec<String>,
    /// One label per check item (`"login: status in [200]"`), by global check id.
    pub checks: Vec<String>,
    /// Named personas with their weight and request indices (setup, requests, flow steps).
    pub personas: Vec<(String, u32, Vec<usize>)>,
}

impl JourneyConfig {
    /// The same names and labels with secrets replaced (a check may quote a token).
    pub fn redacted(mut self, redactor: &crate::redact::Redactor) -> JourneyConfig {
        for text in self
            .flows
            .iter_mut()
            .chain(self.metrics.iter_mut())
            .chain(self.checks.iter_mut())
            .chain(self.personas.iter_mut().map(|(name, _, _)| name))
        {
            *text = redactor.text(text);
        }
        self
    }

    pub fn from_profile(profile: &Profile) -> JourneyConfig {
        let j = &profile.journey;
        let personas = j
            .personas
            .iter()
            .filter(|p| !p.name.is_empty())
            .map(|p| {
                let mut requests = p.setup.clone();
                for (choice, _) in &p.choices {
                    match choice {
                        Choice::Request(i) => requests.push(*i),
                        Choice::Flow(f) => requests.extend(&j.flows[*f].steps),
                    }
                }
                (p.name.clone(), p.weight, requests)
            })
            .collect();
        JourneyConfig {
            flows: j.flows.iter().map(|f| f.name.clone()).collect(),
            metrics: j.metrics.clone(),
            checks: check_labels(profile).1,
            personas,
        }
    }
}

/// The first global check id of each request, and every check's label, in the order
/// `Check::item_labels` lists a request's checks.
pub fn check_labels(profile: &Profile) -> (Vec<u32>, Vec<String>) {
    let mut offsets = Vec::with_capacity(profile.requests.len());
    let mut labels = Vec::new();
    for r in &profile.requests {
        offsets.push(labels.len() as u32);
        labels.extend(
            r.check
                .item_labels()
                .into_iter()
                .map(|l| format!("{}: {l}", r.name)),
        );
    }
    (offsets, labels)
}

/// One finished (or failed) flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowSample {
    pub flow: u16,
    pub latency_us: u32,
    pub class: OutcomeClass,
}

/// What a VU adds to its batch beyond request samples. Empty (and allocation-free)
/// for plain profiles.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct JourneyCounts {
    pub checks_passed: u64,
    pub checks_failed: u64,
    /// (global check id, failures), only for checks that failed.
    pub check_failures: Vec<(u32, u32)>,
    pub flows: Vec<FlowSample>,
    /// (metric index, hits, evaluations).
    pub rates: Vec<(u16, u32, u32)>,
    /// Range chunks read, their body bytes and the time they took.
    pub chunks: u64,
    pub chunk_bytes: u64,
    pub chunk_us: u64,
}

impl JourneyCounts {
    pub fn is_empty(&self) -> bool {
        self.checks_passed == 0
            && self.checks_failed == 0
            && self.flows.is_empty()
            && self.rates.is_empty()
            && self.chunks == 0
    }

    /// Counts one request's check results; `failed_ids` are global check ids.
    pub fn checks(&mut self, passed: u32, failed_ids: impl Iterator<Item = u32>) {
        self.checks_passed += u64::from(passed);
        for id in failed_ids {
            self.checks_failed += 1;
            match self.check_failures.iter_mut().find(|(c, _)| *c == id) {
                Some((_, n)) => *n += 1,
                None => self.check_failures.push((id, 1)),
            }
        }
    }

    pub fn rate(&mut self, metric: usize, hit: bool) {
        let metric = metric as u16;
        let hit = u32::from(hit);
        match self.rates.iter_mut().find(|(m, _, _)| *m == metric) {
            Some((_, hits, total)) => {
                *hits += hit;
                *total += 1;
            }
            None => self.rates.push((metric, hit, 1)),
        }
    }

    pub fn chunk(&mut self, bytes: u64, latency_us: u64) {
        self.chunks += 1;
        self.chunk_bytes += bytes;
        self.chunk_us += latency_us.max(1);
    }
}

/// The aggregator's journey statistics.
#[derive(Debug, Clone, Default)]
pub struct JourneyStats {
    pub config: JourneyConfig,
    /// Flow time (latency) and outcome per flow.
    pub flows: Vec<ScopeStats>,
    /// Per custom metric: `Ok` counts hits, `Check` misses (no latencies).
    pub metrics: Vec<ScopeStats>,
    pub checks_passed: u64,
    pub checks_failed: u64,
    /// Failures per global check id.
    pub check_failures: Vec<u64>,
    pub chunks: u64,
    pub chunk_bytes: u64,
    pub chunk_us: u64,
}

impl JourneyStats {
    pub fn new(config: JourneyConfig) -> JourneyStats {
        JourneyStats {
            flows: config.flows.iter().map(|_| ScopeStats::default()).collect(),
            metrics: config
                .metrics
                .iter()
                .map(|_| ScopeStats::default())
                .collect(),
            check_failures: vec![0; config.checks.len()],
            config,
            ..JourneyStats::default()
        }
    }

    /// Folds one batch's counts; returns event-log lines (a check's first failure).
    pub fn fold(&mut self, counts: &JourneyCounts) -> Vec<String> {
        let mut log = Vec::new();
        self.checks_passed += counts.checks_passed;
        self.checks_failed += counts.checks_failed;
        for &(id, n) in &counts.check_failures {
            if let Some(total) = self.check_failures.get_mut(id as usize) {
                if *total == 0 {
                    log.push(format!("check failed: {}", self.config.checks[id as usize]));
                }
                *total += u64::from(n);
            }
        }
        for f in &counts.flows {
            if let Some(stats) = self.flows.get_mut(usize::from(f.flow)) {
                stats.add(&Sample {
                    latency_us: f.latency_us,
                    schedule_delay_us: None,
                    request: 0,
                    status: 0,
                    class: f.class,
                });
            }
        }
        for &(metric, hits, total) in &counts.rates {
            if let Some(stats) = self.metrics.get_mut(usize::from(metric)) {
                stats.classes[OutcomeClass::Ok.index()] += u64::from(hits);
                stats.classes[OutcomeClass::Check.index()] += u64::from(total - hits);
            }
        }
        self.chunks += counts.chunks;
        self.chunk_bytes += counts.chunk_bytes;
        self.chunk_us += counts.chunk_us;
        log
    }

    /// The statistics of a flow or custom metric by name (for thresholds).
    pub fn scope(&self, name: &str) -> Option<&ScopeStats> {
        if let Some(i) = self.config.flows.iter().position(|f| f == name) {
            return self.flows.get(i);
        }
        let i = self.config.metrics.iter().position(|m| m == name)?;
        self.metrics.get(i)
    }

    /// Mean chunk throughput in MB/s (10^6 bytes per second).
    pub fn chunk_mb_per_sec(&self) -> f64 {
        if self.chunk_us == 0 {
            0.0
        } else {
            self.chunk_bytes as f64 / self.chunk_us as f64
        }
    }

    pub fn is_empty(&self) -> bool {
        self.config.flows.is_empty()
            && self.config.metrics.is_empty()
            && self.config.checks.is_empty()
            && self.config.personas.is_empty()
            && self.chunks == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_counts_and_logs_first_check_failure_once() {
        let mut stats = JourneyStats::new(JourneyConfig {
            flows: vec!["job".into()],
            metrics: vec!["cache_hit".into()],
            checks: vec!["a: status in [200]".into(), "a: body_contains \"x\"".into()],
            personas: Vec::new(),
        });
        let mut counts = JourneyCounts::default();
        counts.checks(1, [1].into_iter());
        counts.checks(2, std::iter::empty());
        counts.rate(0, true);
        counts.rate(0, false);
        counts.rate(0, true);
        counts.flows.push(FlowSample {
            flow: 0,
            latency_us: 2_000_000,
            class: OutcomeClass::Ok,
        });
        counts.chunk(2_000_000, 1_000_000);
        assert_eq!(
            stats.fold(&counts),
            vec!["check failed: a: body_contains \"x\""]
        );
        assert!(stats.fold(&counts).is_empty(), "logged once");
        assert_eq!((stats.checks_passed, stats.checks_failed), (6, 2));
        let hit_rate = stats
            .scope("cache_hit")
            .unwrap()
            .stat(crate::threshold::Stat::MetricRate, 1.0);
        assert!((hit_rate - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(stats.scope("job").unwrap().requests(), 2);
        assert!((stats.chunk_mb_per_sec() - 2.0).abs() < 1e-9);
    }
}
