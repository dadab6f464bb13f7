//! Two lines: profile, target and elapsed/planned time; stage progress, mode and
//! VUs (active / target, as the engine reports them).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::ui::app::App;
use crate::ui::format;

/// Cells of the stage progress bar.
const STAGE_BAR_WIDTH: usize = 10;

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let d = &app.dashboard;
    let theme = &app.theme;
    let [top, bottom] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);

    let time = match d.planned {
        Some(planned) => format!("{} / {} ", format::clock(d.elapsed), format::clock(planned)),
        None => format!("{} ", format::clock(d.elapsed)),
    };
    let time_width = time.chars().count() as u16;
    let [left, right] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(time_width)]).areas(top);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" loadpilot ", theme.accent()),
            Span::styled(d.profile_name.clone(), theme.title()),
            Span::styled(" → ", theme.dim()),
            Span::raw(d.target.clone()),
        ])),
        left,
    );
    frame.render_widget(Paragraph::new(Line::from(time).right_aligned()), right);

    let mut spans = vec![Span::raw(" ")];
    if d.stage.count > 0 {
        spans.push(Span::styled("stage ", theme.dim()));
        spans.push(Span::raw(format!(
            "{}/{} ",
            (d.stage.index + 1).min(d.stage.count),
            d.stage.count
        )));
        spans.push(Span::styled(
            format::bar(d.stage.progress, STAGE_BAR_WIDTH),
            theme.accent(),
        ));
        spans.push(Span::styled(" → ", theme.dim()));
        spans.push(Span::raw(format!("{} VUs  ", d.stage.stage_target)));
    }
    spans.push(Span::styled(
        format!(" {} ", d.mode.label()),
        theme.mode(d.mode),
    ));
    spans.push(Span::styled("  VUs ", theme.dim()));
    spans.push(Span::styled(
        format!("{} / {}", d.vus_active, d.vus_target),
        theme.title(),
    ));
    spans.push(Span::styled("  rps ", theme.dim()));
    spans.push(Span::raw(format::count(d.rps_now)));
    spans.push(Span::styled("  err ", theme.dim()));
    spans.push(Span::styled(
        format::pct(d.error_rate()),
        if d.errors() > 0 {
            theme.bad()
        } else {
            theme.text()
        },
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), bottom);
}
