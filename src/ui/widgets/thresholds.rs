//! Threshold badges: pass / near / fail over the run and over the last 30 s.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::metrics::dashboard::Verdict;
use crate::threshold::{Stat, parse_threshold};
use crate::ui::app::App;
use crate::ui::format;
use crate::ui::theme::Theme;

use super::{pane_block, placeholder, title};

fn badge(verdict: Verdict, theme: &Theme) -> Span<'static> {
    let text = match verdict {
        Verdict::Pass => " pass ",
        Verdict::Near => " near ",
        Verdict::Fail => " FAIL ",
    };
    let style = theme.verdict(verdict);
    let style = if theme.color {
        style.add_modifier(Modifier::REVERSED)
    } else {
        style
    };
    Span::styled(text, style)
}

/// A threshold value in the unit its expression uses (ms, %, /s).
fn value(expr: &str, v: f64) -> String {
    match parse_threshold(expr).map(|t| t.stat) {
        Ok(Stat::Percentile { .. } | Stat::Mean) => format::ms(v),
        Ok(Stat::ErrorRate | Stat::ClassRate { .. }) => format::pct(v),
        Ok(Stat::Rps) => format!("{}/s", format::count(v)),
        Err(_) => format!("{v:.3}"),
    }
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, zoomed: bool) {
    let d = &app.dashboard;
    let theme = &app.theme;
    let failing = d
        .thresholds
        .iter()
        .filter(|t| t.run == Verdict::Fail)
        .count();
    let mut heading = vec![title("Thresholds", theme)];
    if failing > 0 {
        heading.push(Span::styled(format!("{failing} failing "), theme.bad()));
    }
    let block = pane_block(Line::from(heading), theme, zoomed);
    if d.thresholds.is_empty() {
        placeholder(
            frame,
            area,
            block,
            "none (--threshold \"p95 < 500ms\")",
            theme.dim(),
        );
        return;
    }
    let mut lines = vec![Line::from(Span::styled(
        " run   30s   threshold",
        theme.dim(),
    ))];
    for t in &d.thresholds {
        lines.push(Line::from(vec![
            badge(t.run, theme),
            Span::raw(" "),
            badge(t.recent, theme),
            Span::raw(format!(" {} ", t.expr)),
            Span::styled(
                format!(
                    "{} · {}",
                    value(&t.expr, t.run_value),
                    value(&t.expr, t.recent_value)
                ),
                theme.dim(),
            ),
        ]));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
