//! Threshold badges: pass / near / fail over the run and over the last 30 s.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::format;
use crate::metrics::dashboard::Verdict;
use crate::threshold::{Stat, parse_threshold};
use crate::ui::state::App;
use crate::ui::theme::Theme;

use super::{pane_block, placeholder, title};

fn badge(verdict: Verdict, theme: &Theme) -> Span<'static> {
    let text = match verdict {
        Verdict::Pass => "pass",
        Verdict::Near => "near",
        Verdict::Fail => "FAIL",
        Verdict::NoData => "no data",
    };
    let style = theme.verdict(verdict);
    let style = if theme.color {
        style.add_modifier(Modifier::REVERSED)
    } else {
        style
    };
    Span::styled(text, style)
}

/// How a threshold's value is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Ms,
    Fraction,
    PerSec,
    /// Target or loadpilot health: bytes, percent, bytes per minute.
    Health(crate::threshold::HealthMetric),
}

/// The unit of a threshold expression's statistic (values are canonical: ms,
/// fractions, per second). Falls back to reading the metric name when the
/// expression does not parse.
fn unit(expr: &str) -> Unit {
    match parse_threshold(expr).map(|t| t.stat) {
        Ok(Stat::Percentile { .. } | Stat::Mean | Stat::RecoveryTime) => Unit::Ms,
        Ok(Stat::ErrorRate | Stat::DroppedRate | Stat::ClassRate { .. } | Stat::MetricRate) => {
            Unit::Fraction
        }
        Ok(Stat::Rps) => Unit::PerSec,
        Ok(Stat::Health { metric }) => Unit::Health(metric),
        Err(_) => {
            let metric = expr
                .split(['<', '>', '='])
                .next()
                .unwrap_or_default()
                .trim();
            let stat = metric.rsplit('.').next().unwrap_or(metric);
            // `cache_hit > 80%`: a custom rate metric (journeys) does not parse alone.
            if stat.ends_with("rate") || expr.trim_end().ends_with('%') {
                Unit::Fraction
            } else if stat == "rps" {
                Unit::PerSec
            } else {
                Unit::Ms
            }
        }
    }
}

/// The value shown beside a badge: "–" when there is no data.
fn shown(expr: &str, verdict: Verdict, v: f64) -> String {
    if verdict == Verdict::NoData {
        "–".to_string()
    } else {
        value(expr, v)
    }
}

/// A threshold value in the unit its expression uses (ms, %, /s).
fn value(expr: &str, v: f64) -> String {
    match unit(expr) {
        Unit::Ms => format::ms(v),
        Unit::Fraction => format::pct(v),
        Unit::PerSec => format!("{}/s", format::count(v)),
        Unit::Health(metric) => format::health(metric, v),
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
    // A snapshot has no 30 s window: the viewer shows whole-run verdicts only.
    let legend = if app.replay().is_some() {
        "whole run  threshold  value"
    } else {
        "run  30s  threshold  value run · 30s"
    };
    let mut lines = vec![Line::from(Span::styled(legend, theme.dim()))];
    for t in &d.thresholds {
        if app.replay().is_some() {
            lines.push(Line::from(vec![
                badge(t.run, theme),
                Span::raw(format!(" {} ", t.expr)),
                Span::styled(shown(&t.expr, t.run, t.run_value), theme.dim()),
            ]));
            continue;
        }
        lines.push(Line::from(vec![
            badge(t.run, theme),
            Span::raw(" "),
            badge(t.recent, theme),
            Span::raw(format!(" {} ", t.expr)),
            Span::styled(
                format!(
                    "{} · {}",
                    shown(&t.expr, t.run, t.run_value),
                    shown(&t.expr, t.recent, t.recent_value)
                ),
                theme.dim(),
            ),
        ]));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_from_expressions() {
        assert_eq!(unit("p95 < 500ms"), Unit::Ms);
        assert_eq!(unit("ping.p99 < 1s"), Unit::Ms);
        assert_eq!(unit("error_rate < 1%"), Unit::Fraction);
        assert_eq!(unit("429_rate < 5%"), Unit::Fraction);
        assert_eq!(unit("rps > 100"), Unit::PerSec);
        assert_eq!(value("error_rate < 1%", 0.012), "1.2%");
    }
}
