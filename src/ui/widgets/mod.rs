//! One module per pane. Each `render` draws from `&App` (the newest immutable
//! `Dashboard` plus UI state) into its rectangle and changes nothing.

pub mod baseline_prompt;
pub mod columns;
pub mod errors;
pub mod footer;
pub mod header;
pub mod help;
pub mod journeys;
pub mod latency;
pub mod log;
pub mod memory;
pub mod requests;
pub mod stages;
pub mod steps;
pub mod thresholds;
pub mod throughput;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, BorderType, Borders, Dataset, GraphType, Paragraph};

use crate::metrics::dashboard::{Dashboard, LogKind, SecondRow};

use super::state::App;
use super::theme::Theme;
use crate::format;

/// The bordered frame of a pane; a zoomed pane gets the focus style and a hint.
pub fn pane_block<'a>(title: Line<'a>, theme: &Theme, zoomed: bool) -> Block<'a> {
    let block = Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .title(title);
    if zoomed {
        block
            .border_style(theme.border_focus())
            .title_bottom(Line::from(Span::styled(" Esc back ", theme.dim())).right_aligned())
    } else {
        block.border_style(theme.border())
    }
}

/// A plain title span.
pub fn title(text: &str, theme: &Theme) -> Span<'static> {
    Span::styled(format!(" {text} "), theme.title())
}

/// Draws a dim one-line message inside a pane (no data yet, nothing to show).
pub fn placeholder(frame: &mut Frame, area: Rect, block: Block<'_>, text: &str, style: Style) {
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(text.to_string(), style))).block(block),
        area,
    );
}

/// The x range (run seconds) the charts show for the app's window (see
/// [`crate::ui::chart_window`]).
pub fn window_bounds(app: &App) -> (u32, u32) {
    let w = app.chart_window();
    (w.x0, w.x1)
}

/// `rows` thinned to about `max_points` by keeping, for each bucket of
/// consecutive rows, the row-wise maximum picked by `pick` (so a one-second
/// spike stays visible on a long window).
pub fn thin<'a>(
    rows: impl Iterator<Item = &'a SecondRow>,
    max_points: usize,
    pick: impl Fn(&SecondRow) -> f64,
) -> Vec<(f64, f64)> {
    let rows: Vec<&SecondRow> = rows.collect();
    let bucket = rows.len().div_ceil(max_points.max(1)).max(1);
    rows.chunks(bucket)
        .map(|chunk| {
            let y = chunk.iter().map(|r| pick(r)).fold(0.0, f64::max);
            (f64::from(chunk[0].t_s), y)
        })
        .collect()
}

/// The frame's rows from `from_s` on, thinned (see [`thin`]).
pub fn points(
    d: &Dashboard,
    from_s: u32,
    max_points: usize,
    pick: impl Fn(&SecondRow) -> f64,
) -> Vec<(f64, f64)> {
    thin(d.series.since(from_s), max_points, pick)
}

/// The baseline's rows inside `[x0, x1]`, thinned; empty without a baseline.
pub fn baseline_points(
    app: &App,
    x0: u32,
    x1: u32,
    max_points: usize,
    pick: impl Fn(&SecondRow) -> f64,
) -> Vec<(f64, f64)> {
    app.baseline
        .as_ref()
        .map(|b| thin(b.run.window(x0, x1), max_points, pick))
        .unwrap_or_default()
}

/// Run times (seconds) of events inside `[x0, x1]`, for vertical markers on the
/// charts: operator actions and annotations live; in the viewer also stage
/// changes, threshold breaches and first errors.
pub fn marker_times(app: &App, x0: u32, x1: u32) -> Vec<f64> {
    let viewer = app.replay().is_some();
    app.dashboard
        .log
        .iter()
        .filter(|e| {
            matches!(e.kind, LogKind::Operator | LogKind::Annotation)
                || (viewer
                    && matches!(
                        e.kind,
                        LogKind::Stage | LogKind::ThresholdBreach | LogKind::FirstError
                    ))
        })
        .map(|e| e.at.as_secs_f64())
        .filter(|t| *t >= f64::from(x0) && *t <= f64::from(x1))
        .collect()
}

/// Where the viewer's cursor line goes on the charts, if one is drawn.
pub fn cursor_x(app: &App) -> Option<f64> {
    app.cursor().map(|r| f64::from(r.time_s()))
}

/// A braille line series, as every chart draws its curves and markers.
fn line(data: &[(f64, f64)], style: Style) -> Dataset<'_> {
    Dataset::default()
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(style)
        .data(data)
}

/// The time axis the charts share: seconds `x0..x1`, labelled at both ends.
fn time_axis<'a>(theme: &Theme, x0: u32, x1: u32) -> Axis<'a> {
    Axis::default()
        .style(theme.dim())
        .bounds([f64::from(x0), f64::from(x1)])
        .labels([format::clock_s(x0), format::clock_s(x1)])
}
