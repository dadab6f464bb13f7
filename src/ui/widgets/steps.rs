//! find-limit's steps, live: one row per step judged (load, achieved rps,
//! p50/p95/p99, errors, dropped, verdict) and the step running now, marked and
//! filled from the last closed second. Takes the requests pane's place while a
//! search runs.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Cell, Row, Table};

use crate::finder::{SearchProgress, StepResult};
use crate::format;
use crate::ui::state::App;

use super::{pane_block, title};

/// Every column with its width; panes narrower than [`WIDE`] keep [`NARROW`].
const COLUMNS: [(&str, u16); 9] = [
    ("step", 4),
    ("load", 7),
    ("rps", 6),
    ("p50", 6),
    ("p95", 6),
    ("p99", 6),
    ("err", 5),
    ("drop", 4),
    ("verdict", 0),
];
const NARROW: [usize; 6] = [0, 1, 2, 4, 6, 8];
const WIDE: u16 = 64;

/// One step's texts, one per [`COLUMNS`] entry, and the row's style.
struct Line9 {
    texts: [String; 9],
    style: Style,
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, zoomed: bool) {
    let theme = &app.theme;
    let block = pane_block(Line::from(title("Steps", theme)), theme, zoomed);
    let Some(search) = &app.search else {
        return;
    };
    let mut lines: Vec<Line9> = search
        .steps
        .iter()
        .map(|s| {
            let (verdict, style) = match &s.failed {
                Some((text, _)) => (format!("✗ {text}"), theme.bad()),
                None => ("✓ pass".to_string(), theme.good()),
            };
            Line9 {
                texts: judged(search, s, verdict),
                style,
            }
        })
        .collect();
    if let Some((step, load)) = search.current {
        lines.push(Line9 {
            texts: running(app, search, step, load),
            style: theme.highlight(),
        });
    }
    let cols: Vec<usize> = if area.width.saturating_sub(2) >= WIDE {
        (0..COLUMNS.len()).collect()
    } else {
        NARROW.to_vec()
    };
    let cell = |i: usize, text: String| {
        if i == COLUMNS.len() - 1 {
            Cell::from(format!(" {text}"))
        } else {
            Cell::from(Line::from(text).right_aligned())
        }
    };
    // The newest rows matter most: keep the last ones that fit.
    let fit = usize::from(area.height.saturating_sub(3));
    let skip = lines.len().saturating_sub(fit);
    let rows = lines.into_iter().skip(skip).map(|l| {
        let mut texts = l.texts.map(Some);
        Row::new(
            cols.iter()
                .map(|&i| cell(i, texts[i].take().unwrap_or_default())),
        )
        .style(l.style)
    });
    let header = Row::new(cols.iter().map(|&i| cell(i, COLUMNS[i].0.to_string())));
    let widths = cols.iter().map(|&i| match COLUMNS[i].1 {
        0 => Constraint::Min(8),
        n => Constraint::Length(n),
    });
    let table = Table::new(rows, widths)
        .header(header.style(theme.dim()))
        .block(block);
    frame.render_widget(table, area);
}

fn judged(search: &SearchProgress, s: &StepResult, verdict: String) -> [String; 9] {
    [
        s.step.to_string(),
        search.model.format_target(s.load),
        format::count(s.rps),
        format::ms(s.p50_ms),
        format::ms(s.p95_ms),
        format::ms(s.p99_ms),
        format::pct(s.error_rate),
        s.dropped.to_string(),
        verdict,
    ]
}

/// The step running now, marked `▶`, with the last closed second's figures.
fn running(app: &App, search: &SearchProgress, step: usize, load: u32) -> [String; 9] {
    let last = app.dashboard.series.last();
    let or_dash = |f: &dyn Fn(&crate::metrics::dashboard::SecondRow) -> String| {
        last.map_or_else(|| "—".to_string(), f)
    };
    [
        format!("▶ {step}"),
        search.model.format_target(load),
        or_dash(&|r| format::count(r.requests as f64)),
        or_dash(&|r| format::us(r.latency.p50_us)),
        or_dash(&|r| format::us(r.latency.p95_us)),
        or_dash(&|r| format::us(r.latency.p99_us)),
        or_dash(&|r| format::pct(r.errors() as f64 / r.requests.max(1) as f64)),
        or_dash(&|r| r.dropped.to_string()),
        "holding…".to_string(),
    ]
}
