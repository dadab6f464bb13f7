//! What the aggregator publishes: its state handed to the shared frame builder
//! ([`crate::metrics::frame`]), and the threshold values the badges show.

use crate::metrics::dashboard::{Dashboard, RequestStat, ThresholdStatus, WindowLatency};
use crate::metrics::frame::{self, FrameInput, FrameTotals};
use crate::metrics::scope::ScopeStats;
use std::time::Duration;

use crate::threshold::{Threshold, ThresholdScope};

use super::{Aggregator, RECENT_WINDOW_SECS};

impl Aggregator {
    /// The frame at the current run time.
    pub fn frame(&self) -> Dashboard {
        let r = &self.record;
        let mut frame = frame::build(FrameInput {
            profile_name: &r.profile_name,
            target: &r.target,
            elapsed: self.now,
            engine: self.engine,
            memory: self.memory,
            series: self.series.view(),
            totals: FrameTotals {
                requests: r.overall.requests(),
                classes: r.overall.classes,
                bytes_in: r.bytes_in,
                bytes_out: r.bytes_out,
                latency: r.overall.percentiles(),
                rps_peak: self.rps_peak,
                service: r.overall.service_percentiles(),
                dropped: r.overall.dropped_total(),
            },
            window_latency: WindowLatency {
                run: r.overall.percentiles(),
                run_service: r.overall.service_percentiles(),
                last: self.chart_latency.percentiles(),
            },
            by_status: &r.by_status,
            last_message: &r.last_message,
            request_stats: self.request_stats(),
            thresholds: &r.thresholds,
            threshold_status: self.threshold_statuses(),
            log: frame::log_tail(r.log.iter()),
            latency_basis: r.latency,
            tables: self.tables.clone(),
        });
        frame.segment = self.segment;
        frame
    }

    /// Per request: whole-run totals, the last closed second's rate, and the worst
    /// verdict among the thresholds naming it.
    fn request_stats(&self) -> Vec<RequestStat> {
        let r = &self.record;
        r.request_names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let worst = r
                    .thresholds
                    .iter()
                    .zip(&self.verdicts)
                    .filter(|(t, _)| t.request.as_deref() == Some(name))
                    .map(|(_, v)| *v)
                    .max();
                let rps = self.last_second_requests[i] as f64;
                frame::request_stat(name, &r.per_request[i], rps, worst)
            })
            .collect()
    }

    fn threshold_statuses(&self) -> Vec<ThresholdStatus> {
        self.record
            .thresholds
            .iter()
            .zip(&self.verdicts)
            .map(|(t, v)| frame::threshold_status(t, *v, self.run_value(t), self.recent_value(t)))
            .collect()
    }

    /// Threshold `t`'s value over the run so far (a window threshold: its worst
    /// full window so far; the record's series is not kept here while the run goes).
    pub(super) fn run_value(&self, t: &Threshold) -> Option<f64> {
        if t.window_s.is_some() {
            let i = self
                .record
                .thresholds
                .iter()
                .position(|x| std::ptr::eq(x, t))?;
            return self.windows[i].as_ref()?.worst(t, false);
        }
        if t.stat == crate::threshold::Stat::RecoveryTime {
            // Judged on the finished run (its series); the badge shows no data till then.
            return None;
        }
        self.record.threshold_value_over(t, self.now)
    }

    /// Threshold `t`'s value over the last [`super::RECENT_WINDOW_SECS`] closed seconds.
    fn recent_value(&self, t: &Threshold) -> Option<f64> {
        let r = &self.record;
        if let Some(metric) = t.stat.health() {
            let from = self
                .now
                .saturating_sub(Duration::from_secs(RECENT_WINDOW_SECS as u64));
            return r
                .health
                .reading(metric, t.watch.as_deref(), from, Duration::MAX);
        }
        let slot = match t.scope(&r.request_names, &r.stage_names) {
            ThresholdScope::Run => Some(0),
            ThresholdScope::Request(i) => self.scope_slot[i],
            // Stages, flows and custom metrics keep no per-second window.
            ThresholdScope::Stage(_) | ThresholdScope::Named(_) => None,
        };
        let Some(slot) = slot else {
            // No per-second window: the run value stands in.
            return self.run_value(t);
        };
        let mut merged = ScopeStats::default();
        for second in &self.recent {
            merged.merge(&second[slot]);
        }
        merged.reading(t.stat, self.recent.len().max(1) as f64)
    }
}
