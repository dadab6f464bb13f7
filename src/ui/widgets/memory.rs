//! Host memory (gauge, red past 90%), swap and load; the watched target's RSS and
//! CPU; loadpilot's own RSS, memory per active VU and CPU, with a warning when
//! loadpilot itself is the bottleneck.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::format;
use crate::metrics::dashboard::SystemStatus;
use crate::ui::state::App;
use crate::ui::theme::Theme;

use super::{pane_block, placeholder, title};

/// Host memory use from which the gauge turns red.
pub const HOST_HIGH_FRACTION: f64 = 0.9;
/// loadpilot's CPU, as a share of all cores, from which it is called the bottleneck.
pub const SELF_CPU_SATURATED: f64 = 0.9;
/// Scheduler lag from which loadpilot is called the bottleneck.
pub const SCHEDULER_LAG_HIGH_MS: f64 = 50.0;

/// Why loadpilot itself limits the test, if it does.
pub fn bottleneck(mem: &SystemStatus, cores: usize) -> Option<String> {
    let all_cores_pct = 100.0 * cores.max(1) as f64;
    if mem.self_cpu_pct >= SELF_CPU_SATURATED * all_cores_pct {
        Some(format!(
            "loadpilot saturated: cpu {:.0}%/{:.0}%",
            mem.self_cpu_pct, all_cores_pct
        ))
    } else if mem.scheduler_lag_ms >= SCHEDULER_LAG_HIGH_MS {
        Some(format!(
            "loadpilot saturated: tick {:.0}ms late",
            mem.scheduler_lag_ms
        ))
    } else {
        None
    }
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, zoomed: bool) {
    let theme = &app.theme;
    let mem = &app.dashboard.memory;
    let block = pane_block(Line::from(title("Memory", theme)), theme, zoomed);
    if mem.host_total == 0 {
        placeholder(frame, area, block, "no memory sample yet", theme.dim());
        return;
    }
    let inner_width = usize::from(area.width.saturating_sub(2));
    let mut lines = vec![
        host_line(mem, theme, inner_width),
        Line::from(vec![
            label("swap", theme),
            Span::raw(format!(
                "{}/{}",
                format::bytes(mem.swap_used),
                format::bytes(mem.swap_total)
            )),
            Span::styled(" load ", theme.dim()),
            Span::raw(format!(
                "{:.1} {:.1} {:.1}",
                mem.load_avg[0], mem.load_avg[1], mem.load_avg[2]
            )),
        ]),
        target_line(mem, theme),
    ];
    // A saved run has no figures for loadpilot itself; say nothing rather than 0 B.
    if mem.self_rss > 0 {
        lines.push(self_line(mem, app.dashboard.vus_active, theme, inner_width));
    }
    if let Some(warning) = bottleneck(mem, app.cores) {
        lines.push(Line::from(Span::styled(
            format!("⚠ {warning}"),
            theme.bad(),
        )));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// A row label, padded so the values line up.
fn label(text: &str, theme: &Theme) -> Span<'static> {
    Span::styled(format!("{text:<7}"), theme.dim())
}

/// The host memory gauge, red from [`HOST_HIGH_FRACTION`].
fn host_line(mem: &SystemStatus, theme: &Theme, inner_width: usize) -> Line<'static> {
    let used = mem.host_used as f64 / mem.host_total as f64;
    let used_style = if used >= HOST_HIGH_FRACTION {
        theme.bad()
    } else {
        theme.good()
    };
    let tail = format!(
        " {} {}/{}",
        format::pct(used),
        format::bytes(mem.host_used),
        format::bytes(mem.host_total)
    );
    let bar_width = inner_width
        .saturating_sub(7 + tail.chars().count())
        .clamp(4, 40);
    Line::from(vec![
        label("host", theme),
        Span::styled(format::bar(used, bar_width), used_style),
        Span::styled(tail, used_style),
    ])
}

/// The watched target's RSS and CPU, or how to watch one.
fn target_line(mem: &SystemStatus, theme: &Theme) -> Line<'static> {
    match (mem.target_rss, mem.target_cpu_pct) {
        (None, None) => Line::from(vec![
            label("target", theme),
            Span::styled("not watched (--watch-pid/--watch-url)", theme.dim()),
        ]),
        (rss, cpu) => {
            let mut spans = vec![label("target", theme)];
            if let Some(rss) = rss {
                spans.push(Span::raw(format::bytes(rss)));
            }
            if let Some(cpu) = cpu {
                spans.push(Span::styled(" cpu ", theme.dim()));
                spans.push(Span::raw(format!("{cpu:.0}%")));
            }
            Line::from(spans)
        }
    }
}

/// loadpilot's own RSS (and per active VU), CPU and, when wide enough, scheduler lag.
fn self_line(
    mem: &SystemStatus,
    vus_active: u32,
    theme: &Theme,
    inner_width: usize,
) -> Line<'static> {
    let mut own = vec![label("self", theme), Span::raw(format::bytes(mem.self_rss))];
    if vus_active > 0 {
        own.push(Span::raw(format!(
            " ({}/VU)",
            format::bytes(mem.self_rss / u64::from(vus_active))
        )));
    }
    own.push(Span::styled(" cpu ", theme.dim()));
    own.push(Span::raw(format!("{:.0}%", mem.self_cpu_pct)));
    if inner_width >= 48 {
        own.push(Span::styled(" lag ", theme.dim()));
        own.push(Span::raw(format::ms(mem.scheduler_lag_ms)));
    }
    Line::from(own)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bottleneck_on_cpu_or_lag() {
        let mut mem = SystemStatus {
            self_cpu_pct: 150.0,
            ..SystemStatus::default()
        };
        assert_eq!(bottleneck(&mem, 2), None);
        mem.self_cpu_pct = 190.0;
        assert!(bottleneck(&mem, 2).unwrap().contains("cpu 190%/200%"));
        mem.self_cpu_pct = 10.0;
        mem.scheduler_lag_ms = 120.0;
        assert!(bottleneck(&mem, 2).unwrap().contains("120ms late"));
    }
}
