//! Requests per second over time, successes and errors as separate lines, with
//! the current and peak rate and bytes in/out per second. A baseline's total
//! rate is drawn faded behind; in the viewer, the time cursor as a vertical line.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset};

use crate::format;
use crate::metrics::dashboard::SecondRow;
use crate::outcome::OutcomeClass;
use crate::ui::state::App;

use super::{
    baseline_points, cursor_x, line, marker_times, pane_block, placeholder, points, time_axis,
    title, window_bounds,
};

pub fn render(frame: &mut Frame, area: Rect, app: &App, zoomed: bool) {
    let d = &app.dashboard;
    let theme = &app.theme;
    let last = d.series.last().copied().unwrap_or_default();
    let heading = Line::from(vec![
        title("Throughput", theme),
        Span::raw(format!("{}/s ", format::count(d.rps_now))),
        Span::styled("peak ", theme.dim()),
        Span::raw(format!("{} ", format::count(d.rps_peak))),
        Span::styled("ok ", theme.good()),
        Span::styled("err ", theme.bad()),
    ]);
    let bytes = Line::from(vec![
        Span::styled(" in ", theme.dim()),
        Span::raw(format!("{}/s", format::bytes(last.bytes_in))),
        Span::styled(" out ", theme.dim()),
        Span::raw(format!("{}/s ", format::bytes(last.bytes_out))),
    ]);
    let block = pane_block(heading, theme, zoomed).title_bottom(bytes);

    if d.series.is_empty() {
        placeholder(frame, area, block, "waiting for data…", theme.dim());
        return;
    }

    let (x0, x1) = window_bounds(app);
    let max_points = usize::from(area.width.saturating_sub(10)).max(1) * 2;
    let ok = points(d, x0, max_points, |r: &SecondRow| {
        r.classes[OutcomeClass::Ok.index()] as f64
    });
    let err = points(d, x0, max_points, |r: &SecondRow| r.errors() as f64);
    let behind = baseline_points(app, x0, x1, max_points, |r: &SecondRow| r.requests as f64);
    let hi = ok
        .iter()
        .chain(err.iter())
        .chain(behind.iter())
        .map(|&(_, y)| y)
        .fold(0.0, f64::max);
    let y_bounds = [0.0, (hi * 1.1).max(1.0)];
    let markers: Vec<Vec<(f64, f64)>> = marker_times(app, x0, x1)
        .into_iter()
        .map(|t| vec![(t, 0.0), (t, y_bounds[1])])
        .collect();
    let cursor: Vec<(f64, f64)> = cursor_x(app)
        .map(|x| vec![(x, 0.0), (x, y_bounds[1])])
        .unwrap_or_default();

    let mut datasets: Vec<Dataset> = markers.iter().map(|m| line(m, theme.marker())).collect();
    if !behind.is_empty() {
        datasets.push(line(&behind, theme.faded(None)));
    }
    datasets.push(line(&ok, theme.good()));
    datasets.push(line(&err, theme.bad()));
    if !cursor.is_empty() {
        datasets.push(line(&cursor, theme.cursor()));
    }

    let chart = Chart::new(datasets)
        .block(block)
        .legend_position(None)
        .x_axis(time_axis(theme, x0, x1))
        .y_axis(Axis::default().style(theme.dim()).bounds(y_bounds).labels([
            "0".to_string(),
            format::count(y_bounds[1] / 2.0),
            format::count(y_bounds[1]),
        ]));
    frame.render_widget(chart, area);
}
