//! Latency over time: p50/p90/p95/p99/max lines, operator actions as vertical
//! markers; linear or log scale (by itself when the tail is far above the
//! median, see [`App::log_scale`]). The y axis fits the data: a threshold limit
//! inside it is a horizontal line, one outside it is named at the pane's top
//! edge (`▲ p95<2s`) instead of stretching the axis until the data is a flat
//! line. The title's percentiles cover the range the chart shows and say which
//! ("run", "last 5m"). With a baseline, p50/p95/p99 of both runs (the baseline
//! faded, behind); in the viewer, the time cursor as a vertical line.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset};

use crate::ui::theme::Theme;

use crate::format;
use crate::metrics::dashboard::{Percentiles, SecondRow};
use crate::ui::chart_window::title_latency;
use crate::ui::state::App;

use super::{
    baseline_points, cursor_x, line, marker_times, pane_block, placeholder, points, time_axis,
    title, window_bounds,
};

const NAMES: [&str; 5] = ["p50", "p90", "p95", "p99", "max"];

fn pick(p: &Percentiles, i: usize) -> u64 {
    [p.p50_us, p.p90_us, p.p95_us, p.p99_us, p.max_us][i]
}

/// Maps milliseconds to the chart's y axis.
#[derive(Debug, Clone, Copy)]
struct Scale {
    log: bool,
}

impl Scale {
    /// Smallest value drawn on the log scale (1 µs).
    const LOG_FLOOR_MS: f64 = 0.001;

    fn y(self, value_ms: f64) -> f64 {
        if self.log {
            value_ms.max(Self::LOG_FLOOR_MS).log10()
        } else {
            value_ms
        }
    }

    fn label(self, y: f64) -> String {
        if self.log {
            format::ms(10f64.powf(y))
        } else {
            format::ms(y)
        }
    }

    /// y bounds covering `lo_ms..=hi_ms`.
    fn bounds(self, lo_ms: f64, hi_ms: f64) -> [f64; 2] {
        if self.log {
            let lo = self.y(lo_ms).floor();
            let hi = self.y(hi_ms).ceil().max(lo + 1.0);
            [lo, hi]
        } else {
            [0.0, (hi_ms * 1.1).max(1.0)]
        }
    }
}

/// Points per percentile: `(index into NAMES, (x, y))`.
type Lines = Vec<(usize, Vec<(f64, f64)>)>;

pub fn render(frame: &mut Frame, area: Rect, app: &App, zoomed: bool) {
    let d = &app.dashboard;
    let theme = &app.theme;
    let scale = Scale {
        log: app.log_scale(),
    };
    // The open model (and a corrected run) keeps the service time beside the
    // latency from intended start; `t` switches the pane between the two.
    let service = app.shows_service();
    let block = pane_block(heading(app, area, scale, service), theme, zoomed);
    if d.series.is_empty() {
        placeholder(frame, area, block, "waiting for data…", theme.dim());
        return;
    }
    let drawn = Drawn::new(app, area, scale, service);
    let y_bounds = drawn.y_bounds;
    let block = if drawn.off_scale.is_empty() {
        block
    } else {
        block.title(
            Line::styled(format!(" {} ", drawn.off_scale.join(" ")), theme.bad()).right_aligned(),
        )
    };
    let mid = (y_bounds[0] + y_bounds[1]) / 2.0;
    let (x0, x1) = window_bounds(app);
    let chart = Chart::new(drawn.datasets(theme))
        .block(block)
        .legend_position(None)
        .x_axis(time_axis(theme, x0, x1))
        .y_axis(Axis::default().style(theme.dim()).bounds(y_bounds).labels([
            scale.label(y_bounds[0]),
            scale.label(mid),
            scale.label(y_bounds[1]),
        ]));
    frame.render_widget(chart, area);
}

/// The latency of one row: the service time when the pane shows it (falling back
/// to the latency where a row has none).
fn row_latency(service: bool, r: &SecondRow) -> Percentiles {
    if service {
        r.service.unwrap_or(r.latency)
    } else {
        r.latency
    }
}

/// "Latency", the range its figures cover and the scale, the basis shown, and
/// the percentiles over that range (p50, p95, p99 only in narrow panes).
fn heading(app: &App, area: Rect, scale: Scale, service: bool) -> Line<'static> {
    let d = &app.dashboard;
    let theme = &app.theme;
    let (range, shown_latency) = title_latency(d, app.window, app.chart_window(), service);
    let mut heading = vec![
        title("Latency", theme),
        Span::styled(
            format!("{range}{} ", if scale.log { " log" } else { "" }),
            theme.dim(),
        ),
    ];
    if d.latency_basis.has_service() {
        let label = if service {
            "service time"
        } else {
            d.latency_basis.label()
        };
        heading.push(Span::styled(format!("{label} "), theme.accent()));
    }
    let shown: &[usize] = if area.width >= 70 {
        &[0, 1, 2, 3, 4]
    } else {
        &[0, 2, 3]
    };
    for &i in shown {
        let name = NAMES[i];
        heading.push(Span::styled(format!("{name} "), theme.percentile(i)));
        heading.push(Span::raw(format!(
            "{} ",
            format::us(pick(&shown_latency, i))
        )));
    }
    Line::from(heading)
}

/// Every line of the chart, already in the scale's y units.
struct Drawn {
    /// The run's percentiles.
    scaled: Lines,
    /// The baseline's percentiles (empty lines without a baseline).
    behind: Lines,
    /// One horizontal line per latency threshold inside the y range.
    limits: Vec<Vec<(f64, f64)>>,
    /// The thresholds outside the y range, as the top edge names them (`▲ p95<2s`).
    off_scale: Vec<String>,
    /// One vertical line per operator action in the window.
    markers: Vec<Vec<(f64, f64)>>,
    /// The viewer's time cursor, if any.
    cursor: Vec<(f64, f64)>,
    y_bounds: [f64; 2],
}

impl Drawn {
    fn new(app: &App, area: Rect, scale: Scale, service: bool) -> Drawn {
        let d = &app.dashboard;
        let (x0, x1) = window_bounds(app);
        let max_points = usize::from(area.width.saturating_sub(10)).max(1) * 2;
        // With a baseline only p50/p95/p99 are drawn, for both runs.
        let drawn: &[usize] = if app.baseline.is_some() {
            &[0, 2, 3]
        } else {
            &[0, 1, 2, 3, 4]
        };
        let ms = |i: usize| move |r: &SecondRow| pick(&row_latency(service, r), i) as f64 / 1000.0;
        let lines: Lines = drawn
            .iter()
            .map(|&i| (i, points(d, x0, max_points, ms(i))))
            .collect();
        let behind: Lines = drawn
            .iter()
            .map(|&i| (i, baseline_points(app, x0, x1, max_points, ms(i))))
            .collect();
        let y_bounds = y_bounds_ms(scale, &lines, &behind);
        let mut limits = Vec::new();
        let mut off_scale = Vec::new();
        for (label, limit) in &d.latency_limits_ms {
            let y = scale.y(*limit);
            let compact: String = label.split_whitespace().collect();
            if y > y_bounds[1] {
                off_scale.push(format!("▲ {compact}"));
            } else if y < y_bounds[0] {
                off_scale.push(format!("▼ {compact}"));
            } else {
                limits.push(vec![(f64::from(x0), y), (f64::from(x1), y)]);
            }
        }
        let markers = marker_times(app, x0, x1)
            .into_iter()
            .map(|t| vec![(t, y_bounds[0]), (t, y_bounds[1])])
            .collect();
        let cursor = cursor_x(app)
            .map(|x| vec![(x, y_bounds[0]), (x, y_bounds[1])])
            .unwrap_or_default();
        Drawn {
            scaled: rescale(scale, &lines),
            behind: rescale(scale, &behind),
            limits,
            off_scale,
            markers,
            cursor,
            y_bounds,
        }
    }

    /// Limits and markers first, the faded baseline behind, the percentiles on top.
    fn datasets<'a>(&'a self, theme: &Theme) -> Vec<Dataset<'a>> {
        let mut datasets = Vec::new();
        for data in &self.limits {
            datasets.push(line(data, theme.limit_line()));
        }
        for data in &self.markers {
            datasets.push(line(data, theme.marker()));
        }
        for (i, data) in self.behind.iter().rev() {
            datasets.push(line(data, theme.faded(Some(*i))));
        }
        // Drawn last so the percentiles sit on top; max first so p50 ends uppermost.
        for (i, data) in self.scaled.iter().rev() {
            datasets.push(line(data, theme.percentile(*i)));
        }
        if !self.cursor.is_empty() {
            datasets.push(line(&self.cursor, theme.cursor()));
        }
        datasets
    }
}

/// y bounds covering every drawn value (in ms); limits do not stretch them.
fn y_bounds_ms(scale: Scale, lines: &Lines, behind: &Lines) -> [f64; 2] {
    let mut lo_ms = f64::MAX;
    let mut hi_ms: f64 = 0.0;
    for &(_, v) in lines.iter().chain(behind).flat_map(|(_, l)| l) {
        if v > 0.0 {
            lo_ms = lo_ms.min(v);
        }
        hi_ms = hi_ms.max(v);
    }
    if lo_ms == f64::MAX {
        lo_ms = 1.0;
    }
    scale.bounds(lo_ms, hi_ms)
}

/// Lines in ms → lines in the scale's y units.
fn rescale(scale: Scale, lines: &Lines) -> Lines {
    lines
        .iter()
        .map(|(i, line)| (*i, line.iter().map(|&(x, v)| (x, scale.y(v))).collect()))
        .collect()
}
