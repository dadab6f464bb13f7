//! `view`: draws the whole screen from `&App` (the dashboard, live or over a
//! saved run; the compare view has its own layout in `compare_view`).
//! Side-effect free: it neither changes state nor computes statistics.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::compare_view;
use super::layout::{self, MIN_HEIGHT, MIN_WIDTH, Pane};
use super::state::{App, ScreenState, TablePane};
use super::widgets;

pub fn view(app: &App, frame: &mut Frame) {
    if let ScreenState::Compare(compare) = &app.screen {
        compare_view::render(app, compare, frame);
        return;
    }
    let area = frame.area();
    let Some(screen) = layout::screen(area, app.zoom, app.header_rows()) else {
        too_small(app, frame);
        return;
    };
    widgets::header::render(frame, screen.header, app);
    let zoomed = app.zoom.is_some();
    for (pane, rect) in &screen.panes {
        let render = match pane {
            Pane::Latency => widgets::latency::render,
            Pane::Throughput => widgets::throughput::render,
            Pane::Errors => widgets::errors::render,
            // The table pane: journeys or stages when asked for (`f`, `g`);
            // find-limit's steps take the requests' place while it searches.
            Pane::Requests if app.table == TablePane::Journeys => widgets::journeys::render,
            Pane::Requests if app.table == TablePane::Stages => widgets::stages::render,
            Pane::Requests if app.search.is_some() => widgets::steps::render,
            Pane::Requests => widgets::requests::render,
            Pane::Memory => widgets::memory::render,
            Pane::Thresholds => widgets::thresholds::render,
            Pane::Log => widgets::log::render,
        };
        render(frame, *rect, app, zoomed);
    }
    widgets::footer::render(frame, screen.footer, app);
    if app.help {
        widgets::help::render(frame, area, app);
    }
}

fn too_small(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let [row] = Layout::vertical([Constraint::Length(2)])
        .flex(Flex::Center)
        .areas(area);
    let text = vec![
        Line::from(Span::styled(
            format!("terminal too small (need {MIN_WIDTH}x{MIN_HEIGHT})"),
            app.theme.warn(),
        ))
        .centered(),
        Line::from(Span::styled(
            format!("now {}x{} · q quits", area.width, area.height),
            app.theme.dim(),
        ))
        .centered(),
    ];
    frame.render_widget(Paragraph::new(text), row);
}
