//! Latency over the charts' windows (the last 1, 5 and 15 minutes), for the
//! latency pane's title.
//!
//! Live, [`SlidingLatency`] keeps one merged histogram per window and moves it a
//! second at a time: the closed second is added and the second leaving the window
//! is subtracted (decoded from the record's per-second histograms), so a frame
//! costs three percentile reads, not a merge of up to 900 seconds. The viewer asks
//! [`merged_over`] once per cursor move, never per draw.

use hdrhistogram::Histogram;

use crate::metrics::dashboard::{CHART_WINDOWS_S, Percentiles};
use crate::metrics::hist_codec;
use crate::metrics::scope::{new_histogram, percentiles};

/// One merged histogram per [`CHART_WINDOWS_S`] window, fed closed seconds in order.
#[derive(Debug, Clone)]
pub struct SlidingLatency {
    merged: [Histogram<u64>; 3],
}

impl Default for SlidingLatency {
    fn default() -> SlidingLatency {
        SlidingLatency {
            merged: [new_histogram(), new_histogram(), new_histogram()],
        }
    }
}

impl SlidingLatency {
    /// Adds the second just closed. `history` is every closed second's encoded
    /// histogram, oldest first, ending with this one's: the one that leaves each
    /// window is read back from it.
    pub fn push(&mut self, closed: &Histogram<u64>, history: &[Vec<u8>]) {
        for (merged, &w) in self.merged.iter_mut().zip(&CHART_WINDOWS_S) {
            let w = w as usize;
            // A histogram grows on demand, so adding never fails on range.
            let _ = merged.add(closed);
            let Some(leaving) = history.len().checked_sub(w + 1) else {
                continue;
            };
            let removed = hist_codec::decode(&history[leaving])
                .ok()
                .and_then(|old| merged.subtract(&old).ok());
            if removed.is_none() {
                // Cannot happen for histograms this tracker added itself; rebuild
                // the window rather than let it drift.
                let from = history.len() - w;
                *merged = merged_hist(history, from, history.len() - 1);
            }
        }
    }

    /// The percentiles of each window, in [`CHART_WINDOWS_S`] order.
    pub fn percentiles(&self) -> [Percentiles; 3] {
        [
            percentiles(&self.merged[0]),
            percentiles(&self.merged[1]),
            percentiles(&self.merged[2]),
        ]
    }
}

/// The percentiles of seconds `from..=to` of `history` (encoded per-second
/// histograms); seconds missing or unreadable count as empty.
pub fn merged_over(history: &[Vec<u8>], from: usize, to: usize) -> Percentiles {
    percentiles(&merged_hist(history, from, to))
}

/// Each [`CHART_WINDOWS_S`] window ending at second `last` (inclusive) that
/// `wanted` asks for, merged from `history`. The windows are nested, so each
/// second is decoded once: at most 900 decodes, whatever is asked.
pub fn windows_ending_at(
    history: &[Vec<u8>],
    last: usize,
    wanted: [bool; 3],
) -> [Option<Percentiles>; 3] {
    let Some(longest) = (0..3).rev().find(|&i| wanted[i]) else {
        return [None; 3];
    };
    let mut merged = [new_histogram(), new_histogram(), new_histogram()];
    let from = (last + 1).saturating_sub(CHART_WINDOWS_S[longest] as usize);
    for (t, bytes) in history.iter().enumerate().take(last + 1).skip(from) {
        let Ok(h) = hist_codec::decode(bytes) else {
            continue;
        };
        for (i, m) in merged.iter_mut().enumerate() {
            if wanted[i] && last - t < CHART_WINDOWS_S[i] as usize {
                let _ = m.add(&h);
            }
        }
    }
    let mut out = [None; 3];
    for i in 0..3 {
        out[i] = wanted[i].then(|| percentiles(&merged[i]));
    }
    out
}

fn merged_hist(history: &[Vec<u8>], from: usize, to: usize) -> Histogram<u64> {
    let mut merged = new_histogram();
    for bytes in history.iter().take(to.saturating_add(1)).skip(from) {
        if let Ok(h) = hist_codec::decode(bytes) {
            let _ = merged.add(&h);
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn second(latency_us: u64, n: u64) -> Histogram<u64> {
        let mut h = new_histogram();
        h.record_n(latency_us, n).unwrap();
        h
    }

    #[test]
    fn each_window_holds_exactly_its_last_seconds() {
        let mut sliding = SlidingLatency::default();
        let mut history = Vec::new();
        // 400 seconds: the first 100 slow (900 ms), then fast (20 ms).
        for t in 0..400u64 {
            let h = second(if t < 100 { 900_000 } else { 20_000 }, 10);
            history.push(hist_codec::encode(&h));
            sliding.push(&h, &history);
        }
        let [m1, m5, m15] = sliding.percentiles();
        // The last minute and the last five are all fast (seconds 100..400).
        assert!((19_000..21_000).contains(&m1.max_us), "{m1:?}");
        assert!((19_000..21_000).contains(&m5.max_us), "{m5:?}");
        // Fifteen minutes cover the whole run: a quarter of it slow.
        assert!(m15.max_us > 800_000 && m15.p50_us < 21_000, "{m15:?}");
        assert!(m15.p90_us > 800_000, "{m15:?}");
        // The live tracker and a merge over the record agree.
        assert_eq!(m5, merged_over(&history, 100, 399));
        assert_eq!(m1, merged_over(&history, 340, 399));
        assert_eq!(m15, merged_over(&history, 0, 399));
        // The viewer's one-pass merge gives the same windows.
        assert_eq!(
            windows_ending_at(&history, 399, [true, false, true]),
            [Some(m1), None, Some(m15)]
        );
    }

    #[test]
    fn merged_over_an_empty_or_short_history_is_empty_or_partial() {
        assert_eq!(merged_over(&[], 0, 10), Percentiles::default());
        let history = vec![hist_codec::encode(&second(5_000, 3))];
        assert!((4_990..5_010).contains(&merged_over(&history, 0, 59).p50_us));
    }
}
