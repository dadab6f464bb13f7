//! Per named request: count, rate, p50/p95/p99, error share, coloured by the
//! worst threshold that names it. A narrow pane drops count, then p50 (see
//! `columns`), never squeezing a figure.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::format;
use crate::ui::state::App;

use super::columns::{self, Column, Fit, TableRow};
use super::{pane_block, placeholder, title};

const COLUMNS: [Column; 7] = [
    Column {
        title: "request",
        width: 0,
    },
    Column {
        title: "count",
        width: 7,
    },
    Column {
        title: "rps",
        width: 6,
    },
    Column {
        title: "p50",
        width: 7,
    },
    Column {
        title: "p95",
        width: 7,
    },
    Column {
        title: "p99",
        width: 7,
    },
    Column {
        title: "err",
        width: 6,
    },
];
/// Most wanted first: at 80×24 (a pane about 38 wide) name, errors, p95, p99.
const PRIORITY: [usize; 7] = [0, 6, 4, 5, 2, 3, 1];
const ERR: usize = 6;

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
    let rows = d
        .request_stats
        .iter()
        .map(|r| {
            let err_share = if r.count == 0 {
                0.0
            } else {
                r.errors as f64 / r.count as f64
            };
            let mut row = TableRow::new(
                vec![
                    r.name.clone(),
                    format::count(r.count as f64),
                    format::count(r.rps),
                    format::us(r.latency.p50_us),
                    format::us(r.latency.p95_us),
                    format::us(r.latency.p99_us),
                    format::pct(err_share),
                ],
                theme.text(),
            );
            let name_style = r.threshold.map_or(theme.text(), |v| theme.verdict(v));
            row.cell_styles.push((0, name_style));
            if r.errors > 0 {
                row.cell_styles.push((ERR, theme.bad()));
            }
            row
        })
        .collect();
    let fit = Fit {
        columns: &COLUMNS,
        priority: &PRIORITY,
        keep_last: false,
        header_style: theme.dim(),
    };
    columns::render(frame, area, block, &fit, rows);
}
