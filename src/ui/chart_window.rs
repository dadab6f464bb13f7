//! What time range the charts show and which latency figures go with it.
//!
//! A chart's x range is the chosen window (1, 5, 15 minutes) ending now, except
//! while the run fits in it: then it spans the run's planned length (or, for an
//! open-ended run, the time so far), so a 2-minute run fills the chart from its
//! first seconds instead of a fifth of it. The whole-run window spans the run so
//! far (in the viewer, the saved run and a baseline). The latency pane's title
//! reads the percentiles of that same range, and chooses the log scale by itself
//! when the tail is far from the median over it.

use crate::metrics::dashboard::{CHART_WINDOWS_S, Dashboard, Percentiles};

use super::msg::TimeWindow;

/// p99 over p50 beyond which the latency chart switches to a log scale by itself
/// (a linear axis would squash the median to a flat line at the bottom).
pub const AUTO_LOG_TAIL_RATIO: f64 = 20.0;

/// The charts' x range in run seconds, and whether it covers the whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartWindow {
    pub x0: u32,
    pub x1: u32,
    /// The range spans the whole run (the whole-run window, or a run that fits
    /// the window): its figures are the run's.
    pub whole_run: bool,
}

/// The range the charts show for `window`. `saved_end` is where a saved run
/// (and its baseline) ends, for the viewer's whole-run window.
pub fn chart_window(d: &Dashboard, window: TimeWindow, saved_end: Option<u32>) -> ChartWindow {
    let end = d
        .series
        .last()
        .map(|r| r.t_s + 1)
        .unwrap_or(0)
        .max(d.elapsed.as_secs() as u32);
    let Some(w) = window.seconds() else {
        let end = saved_end.map_or(end, |s| end.max(s));
        return ChartWindow {
            x0: 0,
            x1: end.max(1),
            whole_run: true,
        };
    };
    // The run's length as far as it is known: planned, or the time so far.
    let horizon = d
        .planned
        .map_or(end, |p| (p.as_secs_f64().ceil() as u32).max(end));
    if horizon <= w {
        return ChartWindow {
            x0: 0,
            x1: horizon.max(1),
            whole_run: true,
        };
    }
    let x0 = end.saturating_sub(w);
    ChartWindow {
        x0,
        x1: x0 + w,
        whole_run: false,
    }
}

/// The latency pane's title figures: what range they cover ("run", "last 5m")
/// and the percentiles over it. Service time is kept for the whole run only, so
/// with `service` the title says "run" whatever the chart's range.
pub fn title_latency(
    d: &Dashboard,
    window: TimeWindow,
    range: ChartWindow,
    service: bool,
) -> (String, Percentiles) {
    let wl = &d.window_latency;
    if service && let Some(run_service) = wl.run_service {
        return ("run".into(), run_service);
    }
    let slot = window
        .seconds()
        .and_then(|w| CHART_WINDOWS_S.iter().position(|&s| s == w));
    match slot {
        Some(i) if !range.whole_run => (format!("last {}", window.label()), wl.last[i]),
        _ => ("run".into(), wl.run),
    }
}

/// Whether the tail over the shown range is so far above the median that the
/// chart reads better on a log scale.
pub fn wants_log(p: &Percentiles) -> bool {
    p.p50_us > 0 && p.p99_us as f64 / p.p50_us as f64 > AUTO_LOG_TAIL_RATIO
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::metrics::dashboard::{SecondRow, Series};

    fn at(elapsed_s: u32, planned_s: Option<u64>) -> Dashboard {
        let mut d = Dashboard::empty("p", "http://x");
        let rows: Vec<SecondRow> = (0..elapsed_s)
            .map(|t| SecondRow {
                t_s: t,
                ..SecondRow::default()
            })
            .collect();
        d.series = Series {
            chunks: vec![rows.into()],
        };
        d.elapsed = Duration::from_secs(u64::from(elapsed_s));
        d.planned = planned_s.map(Duration::from_secs);
        d
    }

    #[test]
    fn a_run_that_fits_the_window_spans_its_planned_length() {
        let w = chart_window(&at(30, Some(120)), TimeWindow::M5, None);
        assert_eq!((w.x0, w.x1, w.whole_run), (0, 120, true));
        // Open-ended: the time so far.
        let w = chart_window(&at(30, None), TimeWindow::M5, None);
        assert_eq!((w.x0, w.x1, w.whole_run), (0, 30, true));
    }

    #[test]
    fn a_run_longer_than_the_window_slides_it() {
        let w = chart_window(&at(400, Some(600)), TimeWindow::M5, None);
        assert_eq!((w.x0, w.x1, w.whole_run), (100, 400, false));
        // Longer than planned (extended with `]`, or still stopping): as long as it is.
        let w = chart_window(&at(70, Some(60)), TimeWindow::M1, None);
        assert_eq!((w.x0, w.x1, w.whole_run), (10, 70, false));
        // Planned longer than the window but still inside its first stretch.
        let w = chart_window(&at(30, Some(600)), TimeWindow::M5, None);
        assert_eq!((w.x0, w.x1, w.whole_run), (0, 300, false));
    }

    #[test]
    fn the_title_reads_the_range_the_chart_shows() {
        let mut d = at(400, Some(600));
        d.window_latency.run.p50_us = 7_000;
        d.window_latency.last[1].p50_us = 40_000;
        let range = chart_window(&d, TimeWindow::M5, None);
        assert_eq!(
            title_latency(&d, TimeWindow::M5, range, false),
            ("last 5m".to_string(), d.window_latency.last[1])
        );
        let range = chart_window(&d, TimeWindow::All, None);
        assert_eq!(
            title_latency(&d, TimeWindow::All, range, false),
            ("run".to_string(), d.window_latency.run)
        );
    }

    #[test]
    fn a_long_tail_wants_a_log_scale() {
        let p = |p50_us, p99_us| Percentiles {
            p50_us,
            p99_us,
            ..Percentiles::default()
        };
        assert!(wants_log(&p(5_000, 2_000_000)));
        assert!(!wants_log(&p(20_000, 60_000)));
        assert!(!wants_log(&p(0, 0)));
    }
}
