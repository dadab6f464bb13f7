//! The summary's health section: the watched target's memory and CPU over the
//! run, the leak fit (the least-squares slope of its memory, with r² and the
//! samples behind it, over the run and over each stage a `STAGE.target.rss_slope`
//! threshold names), and loadpilot's own memory and CPU.

use std::time::Duration;

use serde::Serialize;

use crate::format;
use crate::metrics::aggregator::RunRecord;
use crate::metrics::health::LeakFit;
use crate::threshold::{HealthMetric, ThresholdScope};

/// A leak fit over one stage.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StageLeak {
    pub stage: String,
    #[serde(flatten)]
    pub fit: LeakFit,
}

/// The target's and loadpilot's health over the run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HealthSummary {
    /// System samples taken.
    pub samples: usize,
    /// The target's peak resident memory, bytes (none when no target was watched).
    pub target_rss_peak: Option<u64>,
    /// The target's mean CPU, percent of one core.
    pub target_cpu_mean_pct: Option<f64>,
    /// The target's peak memory as a share of its cgroup's limit or the host's memory, percent.
    pub target_mem_peak_pct: Option<f64>,
    /// The leak fit over the whole run (at least 3 samples of the target's memory).
    pub leak: Option<LeakFit>,
    /// The leak fit over each stage a `STAGE.target.rss_slope` threshold names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stage_leaks: Vec<StageLeak>,
    /// loadpilot's own peak resident memory, bytes, and mean CPU, percent of one core.
    pub self_rss_peak: Option<u64>,
    pub self_cpu_mean_pct: Option<f64>,
}

impl HealthSummary {
    /// The section, when the run watched a target or has a health threshold.
    pub fn from_record(record: &RunRecord) -> Option<HealthSummary> {
        let h = &record.health;
        let watched = h.samples.iter().any(|s| s.target_rss.is_some());
        let judged = record.thresholds.iter().any(|t| t.stat.health().is_some());
        if !watched && !judged {
            return None;
        }
        let all = (Duration::ZERO, Duration::MAX);
        let read = |m| h.reading(m, None, all.0, all.1);
        let stage_leaks = record
            .thresholds
            .iter()
            .filter(|t| t.stat.health() == Some(HealthMetric::TargetRssSlope))
            .filter_map(
                |t| match t.scope(&record.request_names, &record.stage_names) {
                    ThresholdScope::Stage(i) => Some(i),
                    _ => None,
                },
            )
            .filter_map(|i| {
                let (from, to) = record.stage_span(i, record.duration)?;
                Some(StageLeak {
                    stage: record.stage_label(i),
                    fit: h.fit(from, to)?,
                })
            })
            .collect();
        Some(HealthSummary {
            samples: h.samples.len(),
            target_rss_peak: read(HealthMetric::TargetRss).map(|b| b as u64),
            target_cpu_mean_pct: read(HealthMetric::TargetCpu),
            target_mem_peak_pct: read(HealthMetric::TargetMem),
            leak: h.fit(all.0, all.1),
            stage_leaks,
            self_rss_peak: read(HealthMetric::SelfRss).map(|b| b as u64),
            self_cpu_mean_pct: read(HealthMetric::SelfCpu),
        })
    }

    /// Two or three lines for the text summary.
    pub fn render_text(&self) -> String {
        let pct = |v: Option<f64>| v.map_or("–".to_string(), |p| format!("{p:.1}%"));
        let mut out = match self.target_rss_peak {
            Some(rss) => format!(
                "target memory peak {} ({} of its limit) · CPU mean {}\n",
                format::bytes(rss),
                pct(self.target_mem_peak_pct),
                pct(self.target_cpu_mean_pct),
            ),
            None => "target: not watched (--watch-pid, --watch-url or --demo)\n".to_string(),
        };
        if let Some(fit) = &self.leak {
            out.push_str(&format!("target memory trend: {}\n", fit_text(fit)));
        }
        for s in &self.stage_leaks {
            out.push_str(&format!(
                "target memory trend in {}: {}\n",
                s.stage,
                fit_text(&s.fit)
            ));
        }
        if let Some(rss) = self.self_rss_peak {
            out.push_str(&format!(
                "loadpilot memory peak {} · CPU mean {}\n",
                format::bytes(rss),
                pct(self.self_cpu_mean_pct)
            ));
        }
        out.push('\n');
        out
    }
}

/// `+1.2 MiB/min (r² 0.98, 16 samples over 4.0s–19.5s)`.
fn fit_text(fit: &LeakFit) -> String {
    let sign = if fit.slope_bytes_per_min >= 0.0 {
        "+"
    } else {
        ""
    };
    format!(
        "{sign}{} (least squares: r² {:.2}, {} samples over {:.1}s–{:.1}s)",
        format::health(HealthMetric::TargetRssSlope, fit.slope_bytes_per_min),
        fit.r2,
        fit.samples,
        fit.from_s,
        fit.to_s
    )
}
