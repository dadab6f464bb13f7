//! The stages pane (`g`): one row per stage reached — its load, achieved rps,
//! p50/p95/p99, error rate and dropped arrivals — with the stage running now
//! marked `▶`, and under the table the recovery after each drop in load. The rows
//! are the end-of-run summary's own (`metrics::stage_summary`), over the run so
//! far live and the whole run in `open`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::format;
use crate::metrics::dashboard::RunMode;
use crate::metrics::summary_types::{Cause, Recovery, StageSummary};
use crate::ui::state::App;

use super::columns::{self, Column, Fit, TableRow};
use super::{pane_block, placeholder, title};

const COLUMNS: [Column; 8] = [
    Column {
        title: "stage",
        width: 0,
    },
    Column {
        title: "load",
        width: 8,
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
        width: 5,
    },
    Column {
        title: "drop",
        width: 5,
    },
];
/// Most wanted first: at 80×24 (a pane about 38 wide) stage, load, p95, errors.
const PRIORITY: [usize; 8] = [0, 1, 4, 6, 2, 5, 7, 3];
/// Recovery lines kept under the table (the newest).
const RECOVERIES_SHOWN: usize = 2;
const DASH: &str = "—";

pub fn render(frame: &mut Frame, area: Rect, app: &App, zoomed: bool) {
    let theme = &app.theme;
    let tables = &app.dashboard.tables;
    let mut heading = vec![title("Stages", theme)];
    if app.replay().is_some() {
        heading.push(Span::styled("whole run ", theme.dim()));
    }
    let block = pane_block(Line::from(heading), theme, zoomed);
    if tables.stages.is_empty() {
        placeholder(frame, area, block, "no stage has run yet", theme.dim());
        return;
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let shown = tables.recoveries.len().min(RECOVERIES_SHOWN);
    let [table_area, recovery_area] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(shown as u16)]).areas(inner);
    let running = (app.replay().is_none() && app.dashboard.mode != RunMode::Done)
        .then_some(app.dashboard.stage.index + 1);
    let rows = tables
        .stages
        .iter()
        .map(|s| {
            let now = running == Some(s.stage);
            TableRow::new(
                cells(app, s, now),
                if now {
                    theme.highlight()
                } else if s.stats.errors > 0 {
                    theme.warn()
                } else {
                    theme.text()
                },
            )
        })
        .collect();
    let fit = Fit {
        columns: &COLUMNS,
        priority: &PRIORITY,
        keep_last: true,
        header_style: theme.dim(),
    };
    columns::render(frame, table_area, Block::new(), &fit, rows);
    let lines: Vec<Line> = tables.recoveries[tables.recoveries.len() - shown..]
        .iter()
        .map(|r| {
            let (text, style) = recovery(r, running.is_some());
            Line::from(Span::styled(text, style(theme)))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), recovery_area);
}

fn cells(app: &App, s: &StageSummary, now: bool) -> Vec<String> {
    let ran = s.stats.count > 0;
    let ms = |v: f64| if ran { format::ms(v) } else { DASH.into() };
    let mark = if now { "▶ " } else { "" };
    vec![
        format!("{mark}{}", s.name),
        s.target
            .map_or(DASH.into(), |t| app.dashboard.model.format_target(t)),
        format::count(s.stats.rps),
        ms(s.stats.p50_ms),
        ms(s.stats.p95_ms),
        ms(s.stats.p99_ms),
        if ran {
            format::pct(s.stats.error_rate)
        } else {
            DASH.into()
        },
        s.dropped.to_string(),
    ]
}

type StyleOf = fn(&crate::ui::theme::Theme) -> ratatui::style::Style;

/// `recovery into cool-down @00:40: 3.0s` after a drop in load, `recovery
/// p95_1m < 1s @00:12: 4.0s` after a failing window; one not recovered from
/// says so (live: still recovering).
fn recovery(r: &Recovery, live: bool) -> (String, StyleOf) {
    let at = format::clock(std::time::Duration::from_secs_f64(r.at_s));
    let (took, style): (String, StyleOf) = match r.seconds {
        Some(s) => (format!("{s:.1}s"), |t| t.good()),
        None if live => ("recovering…".into(), |t| t.warn()),
        None => ("not recovered".into(), |t| t.bad()),
    };
    let after = match (r.cause, &r.threshold) {
        (Cause::FailingWindow, Some(threshold)) => threshold.clone(),
        _ => format!("into {}", r.stage_name),
    };
    (format!("recovery {after} @{at}: {took}"), style)
}
