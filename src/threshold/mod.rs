//! Threshold expressions (`p95 < 500ms`, `error_rate < 1%`, `ping.p95 < 200ms`,
//! `429_rate < 1%`, `rps > 100`) and their evaluation.
//!
//! Values are kept in canonical units: latency in milliseconds, rates as fractions
//! (0.01 for `1%`), throughput in requests per second.
//!
//! This module knows expressions, limits and verdicts, not statistics: the metrics
//! resolve a [`ThresholdScope`] to their own figures and hand back a value, so the
//! dependency points one way (metrics → threshold).

use serde::{Deserialize, Serialize};

use crate::outcome::OutcomeClass;

/// Which statistic a threshold reads.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Stat {
    /// A latency percentile in milliseconds (`p50`, `p90`, `p95`, `p99`, `p99.9`, …; `max` is 100, `min` 0).
    Percentile { pct: f64 },
    /// Mean latency in milliseconds (`avg`).
    Mean,
    /// Failed requests / all requests.
    ErrorRate,
    /// Open model: dropped arrivals / all arrivals the schedule produced (`dropped_rate`).
    DroppedRate,
    /// Requests / class share (`429_rate`, `timeout_rate`, …).
    ClassRate { class: OutcomeClass },
    /// Requests per second over the run.
    Rps,
    /// Share of hits of a custom rate metric (`cache_hit > 80%`); the threshold's
    /// `request` names the metric. Added by the journeys work.
    MetricRate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

impl Op {
    pub fn holds(self, value: f64, limit: f64) -> bool {
        match self {
            Op::Lt => value < limit,
            Op::Le => value <= limit,
            Op::Gt => value > limit,
            Op::Ge => value >= limit,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

/// A parsed threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    /// The expression as the user wrote it, normalised to `metric op value`.
    pub expr: String,
    /// Restricts the statistic to one request name (`ping.p95`).
    pub request: Option<String>,
    pub stat: Stat,
    pub op: Op,
    /// Limit in canonical units (ms, fraction, per second).
    pub limit: f64,
    /// Whether a scope that recorded nothing passes (profile:
    /// `"ping.p99" = { expr = "< 1s", allow_empty = true }`). By default "no data"
    /// fails: a threshold on a request that was never sent proves nothing.
    #[serde(default)]
    pub allow_empty: bool,
}

/// A threshold's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    // Declared from best to worst: `Ord` ranks them, so `max` is the worst.
    Pass,
    /// The scope recorded nothing (yet): the final verdict fails unless the
    /// threshold has `allow_empty`.
    NoData,
    /// Passing, within 10% of the limit.
    Near,
    Fail,
}

/// What a threshold reads, resolved against the profile's request names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdScope<'a> {
    /// The whole run (`p95 < 500ms`).
    Run,
    /// The request at this index (`ping.p95 < 200ms`).
    Request(usize),
    /// No request has this name: a flow or custom metric (journeys), or nothing.
    Named(&'a str),
}

impl Threshold {
    pub fn holds(&self, value: f64) -> bool {
        self.op.holds(value, self.limit)
    }

    /// Whether a reading passes: `None` (no data) passes only with `allow_empty`.
    pub fn passes(&self, reading: Option<f64>) -> bool {
        match reading {
            Some(value) => self.holds(value),
            None => self.allow_empty,
        }
    }

    /// Pass / near / fail of a reading; no data (`None`) is `NoData` (which the
    /// final summary fails unless `allow_empty`).
    pub fn verdict(&self, reading: Option<f64>) -> Verdict {
        let Some(value) = reading else {
            return Verdict::NoData;
        };
        if !self.holds(value) {
            Verdict::Fail
        } else if self.is_near(value) {
            Verdict::Near
        } else {
            Verdict::Pass
        }
    }

    /// What this threshold reads, given the profile's request names in order.
    pub fn scope<'a>(&'a self, request_names: &[String]) -> ThresholdScope<'a> {
        match &self.request {
            None => ThresholdScope::Run,
            Some(name) => match request_names.iter().position(|n| n == name) {
                Some(i) => ThresholdScope::Request(i),
                None => ThresholdScope::Named(name),
            },
        }
    }

    /// Whether `value` is within 10% of the limit on the passing side.
    pub fn is_near(&self, value: f64) -> bool {
        if !self.holds(value) {
            return false;
        }
        match self.op {
            Op::Lt | Op::Le => value >= self.limit * 0.9,
            Op::Gt | Op::Ge => value <= self.limit * 1.1,
        }
    }
}

/// The limits of whole-run latency thresholds, drawn as lines on the latency chart:
/// (expression, ms).
pub fn latency_limits(thresholds: &[Threshold]) -> Vec<(String, f64)> {
    thresholds
        .iter()
        .filter(|t| t.request.is_none() && matches!(t.stat, Stat::Percentile { .. } | Stat::Mean))
        .map(|t| (t.expr.clone(), t.limit))
        .collect()
}

mod parse;
pub use parse::{ThresholdError, parse_threshold};
