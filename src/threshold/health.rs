//! The health metrics thresholds can read besides request statistics: the watched
//! target's memory and CPU (`--watch-pid`, `--watch-url`, the demo target), its
//! memory growth (the leak detector), loadpilot's own, and any metric of a
//! `--watch-url` endpoint.

use serde::{Deserialize, Serialize};

/// One health metric. Canonical units: bytes, percent points (100 = one core for
/// CPU, 100 = all the memory for `target.mem`), bytes per minute, or the watched
/// metric's own unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthMetric {
    /// `target.rss`: the target's resident memory, its peak over the scope.
    TargetRss,
    /// `target.cpu`: the target's CPU, its mean over the scope.
    TargetCpu,
    /// `target.mem`: the target's resident memory as a share of its cgroup's
    /// memory limit (or of the host's memory), its peak over the scope.
    TargetMem,
    /// `target.rss_slope`: the least-squares slope of the target's resident
    /// memory over the scope, bytes per minute (the leak detector).
    TargetRssSlope,
    /// `self.rss`: loadpilot's own resident memory, its peak.
    SelfRss,
    /// `self.cpu`: loadpilot's own CPU, its mean.
    SelfCpu,
    /// `watch.NAME`: a metric read from `--watch-url`, its peak.
    Watch,
}

/// How a health metric's limit is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HealthUnit {
    /// `1GB`, `512MiB`, a bare number of bytes.
    Bytes,
    /// `80%` or a bare number of percent points.
    Percent,
    /// `1MB/min`, `10KB/s`, `50MB/h`.
    BytesPerMinute,
    /// A bare number in the watched metric's unit.
    Number,
}

impl HealthMetric {
    /// Every metric with a fixed name (`watch.NAME` is matched by its prefix).
    pub const NAMED: [HealthMetric; 6] = [
        HealthMetric::TargetRss,
        HealthMetric::TargetCpu,
        HealthMetric::TargetMem,
        HealthMetric::TargetRssSlope,
        HealthMetric::SelfRss,
        HealthMetric::SelfCpu,
    ];

    /// The name thresholds use (`watch` for `watch.NAME`).
    pub fn name(self) -> &'static str {
        match self {
            HealthMetric::TargetRss => "target.rss",
            HealthMetric::TargetCpu => "target.cpu",
            HealthMetric::TargetMem => "target.mem",
            HealthMetric::TargetRssSlope => "target.rss_slope",
            HealthMetric::SelfRss => "self.rss",
            HealthMetric::SelfCpu => "self.cpu",
            HealthMetric::Watch => "watch",
        }
    }

    pub(super) fn unit(self) -> HealthUnit {
        match self {
            HealthMetric::TargetRss | HealthMetric::SelfRss => HealthUnit::Bytes,
            HealthMetric::TargetCpu | HealthMetric::SelfCpu | HealthMetric::TargetMem => {
                HealthUnit::Percent
            }
            HealthMetric::TargetRssSlope => HealthUnit::BytesPerMinute,
            HealthMetric::Watch => HealthUnit::Number,
        }
    }

    /// The metric named `text` (already lower-cased), and for `watch.NAME` the NAME.
    pub(super) fn parse(text: &str) -> Option<(HealthMetric, Option<String>)> {
        if let Some(name) = text.strip_prefix("watch.") {
            return is_metric_name(name).then(|| (HealthMetric::Watch, Some(name.to_string())));
        }
        HealthMetric::NAMED
            .into_iter()
            .find(|m| m.name() == text)
            .map(|m| (m, None))
    }
}

/// A Prometheus metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}
