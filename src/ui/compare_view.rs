//! `loadpilot compare BEFORE AFTER` on a terminal: both runs' latency (p50/p95/p99)
//! and throughput overlaid on one pair of charts, aligned by elapsed time (the
//! "before" run faded, behind), and the comparison table below.
//!
//! The charts are the dashboard's own widgets: an [`App`] over the "after" run
//! (a [`Replay`] with its cursor on the last second, no cursor line) with the
//! "before" run as its [`Baseline`]. The table is the text `compare` prints,
//! taken as lines, so the two never disagree.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Instant;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::metrics::aggregator::RunRecord;

use super::app::{App, Msg};
use super::baseline::Baseline;
use super::keymap::{self, KeyAction, KeyMode};
use super::layout::{MIN_HEIGHT, MIN_WIDTH};
use super::replay::Replay;
use super::theme::Theme;
use super::viewer::StaticScreen;
use super::widgets::{self, pane_block, title};

/// The compare screen's state.
#[derive(Debug, Clone)]
pub struct CompareView {
    /// The "after" run with "before" as its baseline; draws the charts.
    pub app: App,
    pub before_label: String,
    pub after_label: String,
    /// The comparison table, one line each.
    pub table: Vec<String>,
    /// First table line shown.
    pub scroll: usize,
}

/// What the header calls a run: its profile and start time.
pub fn run_label(record: &RunRecord) -> String {
    format!(
        "{} {}",
        record.profile_name,
        record.started_at.format("%Y-%m-%d %H:%M:%S")
    )
}

impl CompareView {
    pub fn new(before: &RunRecord, after: &RunRecord, table: &str, theme: Theme) -> CompareView {
        // Cores only feed the memory pane's bottleneck warning, not drawn here.
        let mut app = App::viewer(Arc::new(Replay::from_record(after)), theme, 1)
            .with_baseline(Some(Arc::new(Baseline::from_record(before, "before"))));
        if let Some(r) = app.replay.as_mut() {
            r.show_cursor = false;
        }
        CompareView {
            app,
            before_label: run_label(before),
            after_label: run_label(after),
            table: table.lines().map(str::to_string).collect(),
            scroll: 0,
        }
    }

    /// Applies a key of the compare table (see [`KeyMode::Compare`]).
    pub fn key(&mut self, action: KeyAction) -> ControlFlow<()> {
        match action {
            KeyAction::Quit => return ControlFlow::Break(()),
            KeyAction::ScrollUp => self.scroll = self.scroll.saturating_sub(1),
            KeyAction::ScrollDown => {
                self.scroll = (self.scroll + 1).min(self.table.len().saturating_sub(1));
            }
            other => {
                self.app.update(Msg::Key(other), Instant::now());
            }
        }
        ControlFlow::Continue(())
    }
}

impl StaticScreen for CompareView {
    fn on_event(&mut self, event: Event) -> ControlFlow<()> {
        match event {
            Event::Key(key) => match keymap::action_for(&key, KeyMode::Compare) {
                Some(action) => self.key(action),
                None if is_ctrl_c(&key) => ControlFlow::Break(()),
                None => ControlFlow::Continue(()),
            },
            Event::Resize(width, height) => {
                self.app
                    .update(Msg::Resize { width, height }, Instant::now());
                ControlFlow::Continue(())
            }
            _ => ControlFlow::Continue(()),
        }
    }

    fn expire(&mut self, now: Instant) -> bool {
        self.app.expire(now)
    }

    fn draw(&self, frame: &mut Frame) {
        view(self, frame);
    }
}

fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}

/// Header (2 lines), charts, table, footer.
pub fn view(cv: &CompareView, frame: &mut Frame) {
    let area = frame.area();
    let theme = &cv.app.theme;
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(
                format!("terminal too small (need {MIN_WIDTH}x{MIN_HEIGHT}) · q quits"),
                theme.warn(),
            ))),
            area,
        );
        return;
    }
    let [header, charts, table, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Percentage(50),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);

    let [top, bottom] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(header);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" loadpilot compare ", theme.accent()),
            Span::styled("before ", theme.dim()),
            Span::raw(cv.before_label.clone()),
            Span::styled(" → after ", theme.dim()),
            Span::styled(cv.after_label.clone(), theme.title()),
        ])),
        top,
    );
    let mut legend = vec![Span::styled(" after ", theme.title())];
    for (i, name) in [(0, "p50"), (2, "p95"), (3, "p99")] {
        legend.push(Span::styled(format!("{name} "), theme.percentile(i)));
    }
    legend.push(Span::styled("ok ", theme.good()));
    legend.push(Span::styled(" before (faded) ", theme.dim()));
    for (i, name) in [(0, "p50"), (2, "p95"), (3, "p99")] {
        legend.push(Span::styled(format!("{name} "), theme.faded(Some(i))));
    }
    legend.push(Span::styled("rps", theme.faded(None)));
    frame.render_widget(Paragraph::new(Line::from(legend)), bottom);

    let [latency, throughput] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).areas(charts);
    widgets::latency::render(frame, latency, &cv.app, false);
    widgets::throughput::render(frame, throughput, &cv.app, false);

    let shown = usize::from(table.height.saturating_sub(2));
    let lines: Vec<Line> = cv
        .table
        .iter()
        .skip(cv.scroll)
        .take(shown)
        .map(|l| Line::from(l.clone()))
        .collect();
    let mut heading = vec![title("Comparison", theme)];
    if cv.table.len() > shown {
        heading.push(Span::styled(
            format!(
                "lines {}–{} of {} ",
                cv.scroll + 1,
                (cv.scroll + shown).min(cv.table.len()),
                cv.table.len()
            ),
            theme.dim(),
        ));
    }
    let block = pane_block(Line::from(heading), theme, false);
    if cv.table.is_empty() {
        widgets::placeholder(frame, table, block, "no comparison table", theme.dim());
    } else {
        frame.render_widget(Paragraph::new(lines).block(block), table);
    }

    let mode = KeyMode::Compare;
    let mut spans = vec![Span::raw(" ")];
    for (actions, text) in keymap::footer(mode) {
        spans.push(Span::styled(keymap::group_keys(actions, mode), theme.key()));
        spans.push(Span::styled(format!(" {text}  "), theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), footer);
}

/// Shows the comparison until the user quits (the caller checked stdout is a
/// terminal).
pub async fn run(before: &RunRecord, after: &RunRecord, table: &str) -> anyhow::Result<()> {
    super::viewer::run_static(CompareView::new(before, after, table, Theme::from_env())).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrolling_stays_inside_the_table() {
        let empty = RunRecord {
            duration: std::time::Duration::from_secs(1),
            ..RunRecord::empty("p", "http://x")
        };
        let mut cv = CompareView::new(&empty, &empty, "a\nb\nc", Theme::plain());
        assert!(cv.key(KeyAction::ScrollUp).is_continue());
        assert_eq!(cv.scroll, 0);
        for _ in 0..5 {
            let _ = cv.key(KeyAction::ScrollDown);
        }
        assert_eq!(cv.scroll, 2);
        assert!(cv.key(KeyAction::LogScale).is_continue());
        assert!(cv.app.log_scale);
        assert!(cv.key(KeyAction::Quit).is_break());
    }
}
