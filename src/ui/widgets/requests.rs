//! Per named request: count, rate, p50/p95/p99, error share, coloured by the
//! worst threshold that names it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Row, Table};

use crate::ui::app::App;
use crate::ui::format;

use super::{pane_block, placeholder, title};

pub fn render(frame: &mut Frame, area: Rect, app: &App, zoomed: bool) {
    let d = &app.dashboard;
    let theme = &app.theme;
    let block = pane_block(Line::from(title("Requests", theme)), theme, zoomed);
    if d.request_stats.is_empty() {
        placeholder(frame, area, block, "no requests yet", theme.dim());
        return;
    }
    let right = |text: String| Cell::from(Line::from(text).right_aligned());
    let rows = d.request_stats.iter().map(|r| {
        let err_share = if r.count == 0 {
            0.0
        } else {
            r.errors as f64 / r.count as f64
        };
        let name_style = r.threshold.map_or(theme.text(), |v| theme.verdict(v));
        Row::new(vec![
            Cell::from(r.name.clone()).style(name_style),
            right(format::count(r.count as f64)),
            right(format::count(r.rps)),
            right(format::us(r.latency.p50_us)),
            right(format::us(r.latency.p95_us)),
            right(format::us(r.latency.p99_us)),
            Cell::from(Line::from(format::pct(err_share)).right_aligned()).style(if r.errors > 0 {
                theme.bad()
            } else {
                theme.text()
            }),
        ])
    });
    let header = Row::new(vec![
        Cell::from("request"),
        right("count".into()),
        right("rps".into()),
        right("p50".into()),
        right("p95".into()),
        right("p99".into()),
        right("err".into()),
    ])
    .style(theme.dim());
    let table = Table::new(
        rows,
        [
            Constraint::Fill(1),
            Constraint::Length(7),
            Constraint::Length(6),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(6),
        ],
    )
    .header(header)
    .block(block);
    frame.render_widget(table, area);
}
