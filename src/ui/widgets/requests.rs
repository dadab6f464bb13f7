//! Per named request: count, rate, p50/p95/p99, error share, coloured by the
//! worst threshold that names it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

use crate::format;
use crate::ui::state::App;

use super::{pane_block, placeholder, title};

pub fn render(frame: &mut Frame, area: Rect, app: &App, zoomed: bool) {
    let d = &app.dashboard;
    let theme = &app.theme;
    let mut heading = vec![title("Requests", theme)];
    if app.replay().is_some() {
        // A snapshot keeps per-request totals for the whole run only.
        heading.push(Span::styled("whole run ", theme.dim()));
    }
    let block = pane_block(Line::from(heading), theme, zoomed);
    if d.request_stats.is_empty() {
        placeholder(frame, area, block, "no requests yet", theme.dim());
        return;
    }
    // Narrow panes drop the count column so names stay readable.
    let with_count = area.width.saturating_sub(2) >= 64;
    let right = |text: String| Cell::from(Line::from(text).right_aligned());
    let rows = d.request_stats.iter().map(|r| {
        let err_share = if r.count == 0 {
            0.0
        } else {
            r.errors as f64 / r.count as f64
        };
        let name_style = r.threshold.map_or(theme.text(), |v| theme.verdict(v));
        let mut cells = vec![Cell::from(r.name.clone()).style(name_style)];
        if with_count {
            cells.push(right(format::count(r.count as f64)));
        }
        cells.extend([
            right(format::count(r.rps)),
            right(format::us(r.latency.p50_us)),
            right(format::us(r.latency.p95_us)),
            right(format::us(r.latency.p99_us)),
            right(format::pct(err_share)).style(if r.errors > 0 {
                theme.bad()
            } else {
                theme.text()
            }),
        ]);
        Row::new(cells)
    });
    let mut header = vec![Cell::from("request")];
    let mut widths = vec![Constraint::Min(8)];
    if with_count {
        header.push(right("count".into()));
        widths.push(Constraint::Length(7));
    }
    for (title, width) in [("rps", 6), ("p50", 7), ("p95", 7), ("p99", 7), ("err", 6)] {
        header.push(right(title.into()));
        widths.push(Constraint::Length(width));
    }
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.dim()))
        .block(block);
    frame.render_widget(table, area);
}
