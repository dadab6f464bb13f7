//! Styles for every role the dashboard draws, in two flavours: named ANSI colours
//! (which follow the terminal's palette, so they read on dark and light
//! backgrounds) and, under `NO_COLOR`, modifiers only. Text uses the terminal's
//! default foreground; nothing is drawn in hard white or black.

use ratatui::style::{Color, Modifier, Style};

use crate::metrics::dashboard::{LogKind, RunMode, Verdict};

/// The dashboard's palette. Decided once at start-up (see [`Theme::from_env`]);
/// widgets ask it for a style by role and never name colours themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// `false` under `NO_COLOR`: no colours at all, modifiers only.
    pub color: bool,
}

impl Theme {
    /// Colours unless `NO_COLOR` is set to a non-empty value (<https://no-color.org>).
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { color: !no_color }
    }

    pub const fn colored() -> Theme {
        Theme { color: true }
    }

    pub const fn plain() -> Theme {
        Theme { color: false }
    }

    /// `color` when colours are on, else the terminal default with `fallback`.
    fn pick(&self, color: Color, fallback: Modifier) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new().add_modifier(fallback)
        }
    }

    pub fn text(&self) -> Style {
        Style::new()
    }

    pub fn title(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn dim(&self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }

    pub fn border(&self) -> Style {
        self.dim()
    }

    /// The border of a focused (zoomed) pane.
    pub fn border_focus(&self) -> Style {
        self.pick(Color::Cyan, Modifier::BOLD)
    }

    pub fn accent(&self) -> Style {
        self.pick(Color::Cyan, Modifier::BOLD)
    }

    pub fn good(&self) -> Style {
        self.pick(Color::Green, Modifier::empty())
    }

    pub fn warn(&self) -> Style {
        self.pick(Color::Yellow, Modifier::BOLD)
    }

    pub fn bad(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED)
        }
    }

    /// A class that appeared recently, an operator marker.
    pub fn highlight(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        }
    }

    /// Keys in the footer and help.
    pub fn key(&self) -> Style {
        self.accent()
    }

    pub fn verdict(&self, verdict: Verdict) -> Style {
        match verdict {
            Verdict::Pass => self.good(),
            Verdict::Near => self.warn(),
            Verdict::Fail => self.bad(),
            Verdict::NoData => self.warn(),
        }
    }

    pub fn mode(&self, mode: RunMode) -> Style {
        let style = match mode {
            RunMode::Ramping | RunMode::Manual => self.accent(),
            RunMode::Hold => self.warn(),
            RunMode::Paused => self.warn().add_modifier(Modifier::REVERSED),
            RunMode::Stopping => self.bad(),
            RunMode::Done => self.good(),
        };
        style.add_modifier(Modifier::BOLD)
    }

    pub fn log_kind(&self, kind: LogKind) -> Style {
        match kind {
            LogKind::Stage => self.accent(),
            LogKind::Operator | LogKind::Annotation => self.highlight(),
            LogKind::ThresholdBreach | LogKind::Alert => self.bad(),
            LogKind::ThresholdRecovered => self.good(),
            LogKind::FirstError => self.warn(),
            LogKind::Info => self.text(),
        }
    }

    /// Chart lines: index 0..=4 for p50, p90, p95, p99, max.
    pub fn percentile(&self, i: usize) -> Style {
        const COLORS: [Color; 5] = [
            Color::Green,
            Color::Cyan,
            Color::Blue,
            Color::Yellow,
            Color::Red,
        ];
        if self.color {
            Style::new().fg(COLORS[i % COLORS.len()])
        } else if i == 4 {
            Style::new().add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        }
    }

    /// Threshold limit lines on the latency chart.
    pub fn limit_line(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Red).add_modifier(Modifier::DIM)
        } else {
            self.dim()
        }
    }

    /// A baseline's line behind the live one: its colour (the percentile's, or
    /// the default for throughput), dimmed.
    pub fn faded(&self, percentile: Option<usize>) -> Style {
        match percentile {
            Some(i) if self.color => self.percentile(i).add_modifier(Modifier::DIM),
            _ => self.dim(),
        }
    }

    /// The viewer's time cursor on the charts.
    pub fn cursor(&self) -> Style {
        self.pick(Color::Yellow, Modifier::BOLD)
    }

    /// A change for the worse / better in the baseline deltas.
    pub fn delta(&self, worse: bool) -> Style {
        if worse { self.bad() } else { self.good() }
    }

    /// Operator/annotation markers on the charts.
    pub fn marker(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Magenta)
        } else {
            self.dim()
        }
    }
}
