//! The journeys pane (`f`): one row per flow — how many ran, the share that
//! succeeded, flow time p50/p95/p99 — then each custom metric's rate, each
//! persona's success share and p95, and the failing checks (marked `metric`,
//! `persona`, `check`); the checks' pass rate is in the title. Figures come from the frame's journey summary (the
//! end-of-run summary's own rows), over the run so far live and the whole run in
//! `open`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::format;
use crate::metrics::summary_types::JourneySummary;
use crate::ui::state::App;
use crate::ui::theme::Theme;

use super::columns::{self, Column, Fit, TableRow};
use super::{pane_block, placeholder, title};

const COLUMNS: [Column; 6] = [
    Column {
        title: "flow",
        width: 0,
    },
    Column {
        title: "count",
        width: 7,
    },
    Column {
        title: "ok",
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
];
/// Most wanted first: at 80×24 (a pane about 38 wide) name, success, p95, p99.
const PRIORITY: [usize; 6] = [0, 2, 4, 5, 1, 3];
/// Failing checks listed under the rows.
const FAILING_SHOWN: usize = 3;
const DASH: &str = "—";

pub fn render(frame: &mut Frame, area: Rect, app: &App, zoomed: bool) {
    let theme = &app.theme;
    let journey = app.dashboard.tables.journey.as_ref();
    let mut heading = vec![title("Journeys", theme)];
    if let Some(c) = journey.and_then(|j| j.checks.as_ref()) {
        let style = if c.failed > 0 {
            theme.bad()
        } else {
            theme.good()
        };
        heading.push(Span::styled(
            format!("checks {} ✓ ", format::pct(c.pass_rate)),
            style,
        ));
    }
    if app.replay().is_some() {
        heading.push(Span::styled("whole run ", theme.dim()));
    }
    let block = pane_block(Line::from(heading), theme, zoomed);
    let Some(journey) = journey else {
        let text = "no flows, checks or metrics in this profile";
        placeholder(frame, area, block, text, theme.dim());
        return;
    };
    let fit = Fit {
        columns: &COLUMNS,
        priority: &PRIORITY,
        keep_last: false,
        header_style: theme.dim(),
    };
    columns::render(frame, area, block, &fit, rows(journey, theme));
}

/// Flows, then metrics, personas and the most failing checks.
fn rows(j: &JourneySummary, theme: &Theme) -> Vec<TableRow> {
    let mut rows: Vec<TableRow> = j
        .flows
        .iter()
        .map(|f| {
            let ran = f.count > 0;
            let ms = |v: f64| if ran { format::ms(v) } else { DASH.into() };
            TableRow::new(
                vec![
                    f.name.clone(),
                    format::count(f.count as f64),
                    if ran {
                        format::pct(1.0 - f.failure_rate)
                    } else {
                        DASH.into()
                    },
                    ms(f.p50_ms),
                    ms(f.p95_ms),
                    ms(f.p99_ms),
                ],
                if f.failed > 0 {
                    theme.warn()
                } else {
                    theme.text()
                },
            )
        })
        .collect();
    // Metrics, personas and checks say what they are in the last column (kept
    // at every width), so their names keep the room.
    rows.extend(j.metrics.iter().map(|m| {
        let cells = vec![
            m.name.clone(),
            format::count(m.total as f64),
            format::pct(m.rate),
            String::new(),
            String::new(),
            "metric".into(),
        ];
        TableRow::new(cells, theme.accent())
    }));
    rows.extend(j.personas.iter().map(|p| {
        let cells = vec![
            p.name.clone(),
            format::count(p.requests as f64),
            format::pct(1.0 - p.error_rate),
            String::new(),
            format::ms(p.p95_ms),
            "persona".into(),
        ];
        TableRow::new(cells, theme.dim())
    }));
    if let Some(c) = &j.checks {
        rows.extend(c.failing.iter().take(FAILING_SHOWN).map(|(label, n)| {
            let cells = vec![
                format!("✗ {label}"),
                format::count(*n as f64),
                String::new(),
                String::new(),
                String::new(),
                "check".into(),
            ];
            TableRow::new(cells, theme.bad())
        }));
    }
    rows
}
