//! One module per pane. Each `render` draws from `&App` (the newest immutable
//! `Dashboard` plus UI state) into its rectangle and changes nothing.

pub mod errors;
pub mod footer;
pub mod header;
pub mod help;
pub mod latency;
pub mod log;
pub mod memory;
pub mod requests;
pub mod thresholds;
pub mod throughput;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use crate::metrics::dashboard::{Dashboard, LogKind, SecondRow};

use super::app::{App, TimeWindow};
use super::theme::Theme;

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

/// The x range (run seconds) the charts show for the app's window.
pub fn window_bounds(d: &Dashboard, window: TimeWindow) -> (u32, u32) {
    let end = d
        .series
        .last()
        .map(|r| r.t_s + 1)
        .unwrap_or(0)
        .max(d.elapsed.as_secs() as u32);
    match window.seconds() {
        Some(w) => {
            let x0 = end.saturating_sub(w);
            (x0, x0 + w)
        }
        None => (0, end.max(1)),
    }
}

/// The rows inside the window, thinned to about `max_points` by keeping, for
/// each bucket of consecutive rows, the row-wise maximum picked by `pick`
/// (so a one-second spike stays visible on a long window).
pub fn points(
    d: &Dashboard,
    from_s: u32,
    max_points: usize,
    pick: impl Fn(&SecondRow) -> f64,
) -> Vec<(f64, f64)> {
    let rows: Vec<&SecondRow> = d.series.since(from_s).collect();
    let bucket = rows.len().div_ceil(max_points.max(1)).max(1);
    rows.chunks(bucket)
        .map(|chunk| {
            let y = chunk.iter().map(|r| pick(r)).fold(0.0, f64::max);
            (f64::from(chunk[0].t_s), y)
        })
        .collect()
}

/// Run times (seconds) of operator actions and annotations inside `[x0, x1]`,
/// for vertical markers on the charts.
pub fn marker_times(app: &App, x0: u32, x1: u32) -> Vec<f64> {
    app.dashboard
        .log
        .iter()
        .filter(|e| matches!(e.kind, LogKind::Operator | LogKind::Annotation))
        .map(|e| e.at.as_secs_f64())
        .filter(|t| *t >= f64::from(x0) && *t <= f64::from(x1))
        .collect()
}
