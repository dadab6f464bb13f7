//! Two lines: profile, target and elapsed/planned time; stage progress, mode and
//! VUs (active / target, as the engine reports them). In the viewer the time is
//! the cursor's, the mode reads VIEW and the cursor second's percentiles follow.
//! With a baseline, a third line: the deltas against it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use std::time::Duration;

use crate::format;
use crate::plan::LoadModel;
use crate::ui::baseline::Deltas;
use crate::ui::state::App;
use crate::ui::theme::Theme;

/// Cells of the stage progress bar.
const STAGE_BAR_WIDTH: usize = 10;

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    // One rect per line; the third (deltas) is empty unless a baseline is shown.
    let line = |i: u16| Rect {
        y: area.y + i.min(area.height),
        height: u16::from(i < area.height),
        ..area
    };
    let (top, bottom, third) = (line(0), line(1), line(2));
    render_title(frame, top, app);
    frame.render_widget(Paragraph::new(status_line(app)), bottom);
    if let Some(baseline) = &app.baseline {
        frame.render_widget(
            Paragraph::new(deltas_line(
                &baseline.run.label,
                baseline.deltas,
                &app.theme,
            )),
            third,
        );
    }
}

/// ` loadpilot PROFILE → TARGET` on the left, the time on the right.
fn render_title(frame: &mut Frame, top: Rect, app: &App) {
    let d = &app.dashboard;
    let theme = &app.theme;
    let time = time_text(app);
    let time_width = time.chars().count() as u16;
    let [left, right] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(time_width)]).areas(top);
    let mut spans = vec![
        Span::styled(" loadpilot ", theme.accent()),
        Span::styled(d.profile_name.clone(), theme.title()),
        Span::styled(" → ", theme.dim()),
        Span::raw(d.target.clone()),
    ];
    if let Some(segment) = d.segment {
        spans.push(Span::styled(format!("  segment {segment}"), theme.accent()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), left);
    frame.render_widget(Paragraph::new(Line::from(time).right_aligned()), right);
}

/// The viewer's cursor time, or elapsed (/ planned) time.
fn time_text(app: &App) -> String {
    let d = &app.dashboard;
    if let Some(left) = d.starts_in {
        // Rounded up: "starts in 00:01" until the very start.
        let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        return format!("starts in {} ", format::clock(Duration::from_secs(secs)));
    }
    match (app.replay(), d.planned) {
        (Some(r), _) => format!(
            "at {} / {} ",
            format::clock_s(r.time_s()),
            format::clock(r.replay.duration())
        ),
        (None, Some(planned)) => {
            format!("{} / {} ", format::clock(d.elapsed), format::clock(planned))
        }
        (None, None) => format!("{} ", format::clock(d.elapsed)),
    }
}

/// Stage progress, mode, load (VUs or rate), rps and errors; in the viewer the
/// cursor second's percentiles.
fn status_line(app: &App) -> Line<'static> {
    let d = &app.dashboard;
    let theme = &app.theme;
    let mut spans = vec![Span::raw(" ")];
    if let Some((number, count)) = d.stage.position() {
        spans.push(Span::styled("stage ", theme.dim()));
        spans.push(Span::raw(format!("{number}/{count} ")));
        spans.push(Span::styled(
            format::bar(d.stage.progress, STAGE_BAR_WIDTH),
            theme.accent(),
        ));
        spans.push(Span::styled(" → ", theme.dim()));
        spans.push(Span::raw(format!(
            "{}  ",
            d.model.format_target(d.stage.stage_target)
        )));
    }
    if app.replay().is_some() {
        spans.push(Span::styled(" VIEW ", theme.mode(d.mode)));
    } else {
        spans.push(Span::styled(
            format!(" {} ", d.mode.label_in(&d.stage)),
            theme.mode(d.mode),
        ));
    }
    push_load(&mut spans, app);
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
    if app.replay().is_some() {
        let now = d.series.last().map(|r| r.latency).unwrap_or_default();
        for (name, us) in [
            ("p50", now.p50_us),
            ("p95", now.p95_us),
            ("p99", now.p99_us),
        ] {
            spans.push(Span::styled(format!("  {name} "), theme.dim()));
            spans.push(Span::raw(format::us(us)));
        }
    }
    Line::from(spans)
}

/// `VUs active / target`, or in the open model `rate N/s VUs N dropped N`.
fn push_load(spans: &mut Vec<Span<'static>>, app: &App) {
    let d = &app.dashboard;
    let theme = &app.theme;
    match d.model {
        LoadModel::Vus => {
            spans.push(Span::styled("  VUs ", theme.dim()));
            spans.push(Span::styled(
                format!("{} / {}", d.vus_active, d.vus_target),
                theme.title(),
            ));
        }
        // The open model's target is a rate; the VUs are what serve it.
        LoadModel::Rate => {
            spans.push(Span::styled("  rate ", theme.dim()));
            spans.push(Span::styled(format!("{}/s", d.vus_target), theme.title()));
            spans.push(Span::styled(" VUs ", theme.dim()));
            spans.push(Span::raw(d.vus_active.to_string()));
            spans.push(Span::styled("  dropped ", theme.dim()));
            spans.push(Span::styled(
                d.dropped.to_string(),
                if d.dropped > 0 {
                    theme.bad()
                } else {
                    theme.text()
                },
            ));
        }
    }
}

/// `vs before.json @00:42  Δp50 +1.2ms  Δp95 …`; positive latency and error
/// deltas are worse, a positive rate delta is better.
fn deltas_line<'a>(label: &str, deltas: Option<Deltas>, theme: &Theme) -> Line<'a> {
    let mut spans = vec![
        Span::styled(" vs ", theme.dim()),
        Span::styled(label.to_string(), theme.title()),
    ];
    let Some(d) = deltas else {
        spans.push(Span::styled(
            "  (no baseline second to compare)",
            theme.dim(),
        ));
        return Line::from(spans);
    };
    spans.push(Span::styled(
        format!(
            " @{}",
            format::clock(Duration::from_secs(u64::from(d.at_s)))
        ),
        theme.dim(),
    ));
    for (name, us) in [("Δp50", d.p50_us), ("Δp95", d.p95_us), ("Δp99", d.p99_us)] {
        spans.push(Span::styled(format!("  {name} "), theme.dim()));
        let sign = if us < 0 { "−" } else { "+" };
        spans.push(Span::styled(
            format!("{sign}{}", format::us(us.unsigned_abs())),
            theme.delta(us > 0),
        ));
    }
    spans.push(Span::styled("  Δrps ", theme.dim()));
    let sign = if d.rps < 0.0 { "−" } else { "+" };
    spans.push(Span::styled(
        format!("{sign}{}", format::count(d.rps.abs())),
        theme.delta(d.rps < 0.0),
    ));
    spans.push(Span::styled("  Δerr ", theme.dim()));
    let sign = if d.error_rate < 0.0 { "−" } else { "+" };
    spans.push(Span::styled(
        format!("{sign}{}", format::pct(d.error_rate.abs())),
        theme.delta(d.error_rate > 0.0),
    ));
    Line::from(spans)
}
