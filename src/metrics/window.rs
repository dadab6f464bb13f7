//! Sliding-window thresholds (`p95_1m < 500ms`): the statistic over every run of
//! `window_s` consecutive seconds, merged exactly from the seconds' histograms and
//! counts, and the worst window is the reading ("no minute over the limit"), so a
//! knee that the whole-run p95 averages away still fails. A run shorter than the
//! window is one window.
//!
//! [`WindowTracker`] does this live, one closed second at a time (the aggregator
//! judges it every second, so `abort_on_fail` stops the run at the first bad
//! window); [`worst_in_record`] scans a finished record (summary, reports,
//! snapshots) and gives the same answer.

use std::collections::VecDeque;

use crate::metrics::dashboard::SecondRow;
use crate::metrics::scope::ScopeStats;
use crate::threshold::{Op, Threshold};

/// Whether `a` is worse than `b` for a threshold with operator `op`.
fn worse(op: Op, a: f64, b: f64) -> bool {
    match op {
        Op::Lt | Op::Le => a > b,
        Op::Gt | Op::Ge => a < b,
    }
}

/// The worst window so far of one threshold, fed closed seconds in order.
#[derive(Debug, Clone, Default)]
pub struct WindowTracker {
    /// The last `window_s` seconds (whole-run scope), oldest first.
    seconds: VecDeque<ScopeStats>,
    /// Seconds seen in all.
    seen: usize,
    worst: Option<f64>,
    /// The reading of the latest full window.
    last: Option<f64>,
}

impl WindowTracker {
    /// Adds a closed second; judges the window ending with it once it is full.
    pub fn push(&mut self, t: &Threshold, second: &ScopeStats) {
        let len = t.window_s.unwrap_or(1).max(1) as usize;
        self.seconds.push_back(second.clone());
        if self.seconds.len() > len {
            self.seconds.pop_front();
        }
        self.seen += 1;
        if self.seconds.len() == len {
            self.judge(t);
        }
    }

    /// The worst full window, or at the end of a run shorter than the window,
    /// the run as one window (`finished`).
    pub fn worst(&self, t: &Threshold, finished: bool) -> Option<f64> {
        let len = t.window_s.unwrap_or(1).max(1) as usize;
        if finished && self.seen < len {
            return reading(t, self.seconds.iter());
        }
        self.worst
    }

    /// Whether the latest full window breaks `t` (`None`: not full yet, or no data).
    pub fn breach(&self, t: &Threshold) -> Option<bool> {
        let len = t.window_s.unwrap_or(1).max(1) as usize;
        let full = self.seconds.len() == len;
        full.then_some(self.last)
            .flatten()
            .map(|v| !t.op.holds(v, t.limit))
    }

    fn judge(&mut self, t: &Threshold) {
        self.last = reading(t, self.seconds.iter());
        if let Some(v) = self.last
            && self.worst.is_none_or(|w| worse(t.op, v, w))
        {
            self.worst = Some(v);
        }
    }
}

/// The threshold's statistic over the merged seconds.
fn reading<'a>(t: &Threshold, seconds: impl Iterator<Item = &'a ScopeStats>) -> Option<f64> {
    let mut merged = ScopeStats::default();
    let mut n = 0usize;
    for s in seconds {
        merged.merge(s);
        n += 1;
    }
    merged.reading(t.stat, n.max(1) as f64)
}

/// The worst window over a finished record's seconds (rows and their histograms).
pub fn worst_in_record(t: &Threshold, series: &[SecondRow], histograms: &[Vec<u8>]) -> Option<f64> {
    let mut tracker = WindowTracker::default();
    for (i, row) in series.iter().enumerate() {
        tracker.push(t, &record_second(row, histograms.get(i)));
    }
    tracker.worst(t, true)
}

/// Per second of a finished record, the reading of the full window ending with
/// it and whether that window breaks the threshold (`None`: not full yet, or no data).
pub fn breaches_in_record(
    t: &Threshold,
    series: &[SecondRow],
    histograms: &[Vec<u8>],
) -> Vec<Option<bool>> {
    let mut tracker = WindowTracker::default();
    series
        .iter()
        .enumerate()
        .map(|(i, row)| {
            tracker.push(t, &record_second(row, histograms.get(i)));
            tracker.breach(t)
        })
        .collect()
}

/// One second of a record as a whole-run scope: its histogram and class counts.
fn record_second(row: &SecondRow, histogram: Option<&Vec<u8>>) -> ScopeStats {
    let mut second = ScopeStats::default();
    if let Some(hist) = histogram.and_then(|b| crate::metrics::hist_codec::decode(b).ok()) {
        let _ = second.hist.add(&hist);
    }
    second.classes = row.classes;
    second
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::sample::Sample;
    use crate::outcome::OutcomeClass;
    use crate::threshold::parse_threshold;

    fn second(latency_ms: u32, n: usize) -> ScopeStats {
        let mut s = ScopeStats::default();
        for _ in 0..n {
            s.add(&Sample {
                latency_us: latency_ms * 1000,
                schedule_delay_us: None,
                request: 0,
                status: 200,
                class: OutcomeClass::Ok,
            });
        }
        s
    }

    #[test]
    fn the_worst_full_window_is_the_reading() {
        let t = parse_threshold("p95_3s < 500ms").unwrap();
        let mut tracker = WindowTracker::default();
        // 30 seconds, one of them slow: only the windows over it fail.
        let slow: Vec<bool> = (0..30).map(|i| i == 10).collect();
        for &is_slow in &slow {
            tracker.push(&t, &second(if is_slow { 900 } else { 20 }, 50));
        }
        let worst = tracker.worst(&t, true).unwrap();
        assert!((850.0..1000.0).contains(&worst), "{worst}");
        // The whole run's p95 hides it (one slow second of 30).
        let mut all = ScopeStats::default();
        for &is_slow in &slow {
            all.merge(&second(if is_slow { 900 } else { 20 }, 50));
        }
        let whole = all.reading(t.stat, 30.0).unwrap();
        assert!(whole < 500.0, "{whole}");
    }

    #[test]
    fn a_run_shorter_than_the_window_is_one_window() {
        let t = parse_threshold("p95_1m < 500ms").unwrap();
        let mut tracker = WindowTracker::default();
        tracker.push(&t, &second(20, 10));
        assert_eq!(tracker.worst(&t, false), None, "no full window yet");
        assert!(tracker.worst(&t, true).unwrap() < 25.0);
    }
}
