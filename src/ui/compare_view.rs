//! `loadpilot compare BEFORE AFTER` on a terminal: both runs' latency (p50/p95/p99)
//! and throughput overlaid on one pair of charts, aligned by elapsed time (the
//! "before" run faded, behind), and the comparison table below.
//!
//! The screen is an [`App`] in its compare state ([`CompareState`]): the charts
//! are the dashboard's own widgets over the "after" run (a [`Replay`] with its
//! cursor on the last second, no cursor line) with the "before" run as its
//! [`Baseline`]. The table is the text `compare` prints, taken as lines, so the
//! two never disagree. Keys go through the key table's compare rows to
//! `App::update`, like every other screen's.

use std::sync::Arc;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::metrics::aggregator::RunRecord;

use super::baseline::Baseline;
use super::keymap::{self, KeyMode};
use super::layout::{MIN_HEIGHT, MIN_WIDTH};
use super::replay::Replay;
use super::state::{App, CompareState, ViewerState};
use super::theme::Theme;
use super::widgets::{self, pane_block, title};

/// The compare screen: an [`App`] whose screen is [`CompareState`].
#[derive(Debug, Clone)]
pub struct CompareView {
    pub app: App,
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
        let compare = CompareState {
            after: ViewerState::at_end(Arc::new(Replay::from_record(after))),
            before_label: run_label(before),
            after_label: run_label(after),
            table: table.lines().map(str::to_string).collect(),
            scroll: 0,
        };
        let app = App::compare(compare, theme)
            .with_baseline(Some(Arc::new(Baseline::from_record(before, "before"))));
        CompareView { app }
    }
}

/// Draws the compare view (see [`render`]).
pub fn view(cv: &CompareView, frame: &mut Frame) {
    if let Some(compare) = compare_state(&cv.app) {
        render(&cv.app, compare, frame);
    }
}

fn compare_state(app: &App) -> Option<&CompareState> {
    match &app.screen {
        super::state::ScreenState::Compare(compare) => Some(compare),
        _ => None,
    }
}

/// Header (2 lines), charts, table, footer; the `?` overlay on top.
pub fn render(app: &App, compare: &CompareState, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(
                format!("terminal too small (need {MIN_WIDTH}x{MIN_HEIGHT}) · q quits"),
                app.theme.warn(),
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
    render_header(frame, header, compare, &app.theme);
    let [latency, throughput] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).areas(charts);
    widgets::latency::render(frame, latency, app, false);
    widgets::throughput::render(frame, throughput, app, false);
    render_table(frame, table, compare, &app.theme);
    render_footer(frame, footer, &app.theme);
    if app.help {
        widgets::help::render(frame, area, app);
    }
}

/// The runs' names, then the legend: which colour is which run's percentile.
fn render_header(frame: &mut Frame, area: Rect, compare: &CompareState, theme: &Theme) {
    let [top, bottom] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" loadpilot compare ", theme.accent()),
            Span::styled("before ", theme.dim()),
            Span::raw(compare.before_label.clone()),
            Span::styled(" → after ", theme.dim()),
            Span::styled(compare.after_label.clone(), theme.title()),
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
}

/// The comparison table from the scroll position, with "lines a–b of n" when
/// it does not fit.
fn render_table(frame: &mut Frame, area: Rect, compare: &CompareState, theme: &Theme) {
    let table = &compare.table;
    let shown = usize::from(area.height.saturating_sub(2));
    let lines: Vec<Line> = table
        .iter()
        .skip(compare.scroll)
        .take(shown)
        .map(|l| Line::from(l.clone()))
        .collect();
    let mut heading = vec![title("Comparison", theme)];
    if table.len() > shown {
        heading.push(Span::styled(
            format!(
                "lines {}–{} of {} ",
                compare.scroll + 1,
                (compare.scroll + shown).min(table.len()),
                table.len()
            ),
            theme.dim(),
        ));
    }
    let block = pane_block(Line::from(heading), theme, false);
    if table.is_empty() {
        widgets::placeholder(frame, area, block, "no comparison table", theme.dim());
    } else {
        frame.render_widget(Paragraph::new(lines).block(block), area);
    }
}

/// The compare view's footer, from the key table.
fn render_footer(frame: &mut Frame, area: Rect, theme: &Theme) {
    let mode = KeyMode::Compare;
    let mut spans = vec![Span::raw(" ")];
    for (actions, text) in keymap::footer(mode) {
        spans.push(Span::styled(keymap::group_keys(actions, mode), theme.key()));
        spans.push(Span::styled(format!(" {text}  "), theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use crate::ui::msg::Effect;

    fn compare_view(table: &str) -> CompareView {
        let empty = RunRecord {
            duration: std::time::Duration::from_secs(1),
            ..RunRecord::empty("p", "http://x")
        };
        CompareView::new(&empty, &empty, table, Theme::plain())
    }

    /// A key event through the key table and `update`, as the loop does it.
    fn press(cv: &mut CompareView, code: KeyCode, modifiers: KeyModifiers) -> Option<Effect> {
        let event = Event::Key(KeyEvent::new(code, modifiers));
        let msg = crate::ui::event_to_msg(&cv.app, event)?;
        cv.app.update(msg, std::time::Instant::now())
    }

    fn scroll(cv: &CompareView) -> usize {
        compare_state(&cv.app).unwrap().scroll
    }

    #[test]
    fn scrolling_stays_inside_the_table() {
        let mut cv = compare_view("a\nb\nc");
        let none = KeyModifiers::NONE;
        assert_eq!(press(&mut cv, KeyCode::Up, none), None);
        assert_eq!(scroll(&cv), 0);
        for _ in 0..5 {
            press(&mut cv, KeyCode::Char('j'), none);
        }
        assert_eq!(scroll(&cv), 2);
        press(&mut cv, KeyCode::Char('k'), none);
        assert_eq!(scroll(&cv), 1);
        assert_eq!(press(&mut cv, KeyCode::Char('l'), none), None);
        assert!(cv.app.log_scale());
        assert_eq!(press(&mut cv, KeyCode::Char('q'), none), Some(Effect::Quit));
    }

    #[test]
    fn ctrl_c_quits_through_the_key_table() {
        let mut cv = compare_view("a");
        assert_eq!(
            press(&mut cv, KeyCode::Char('c'), KeyModifiers::CONTROL),
            Some(Effect::Quit)
        );
    }

    #[test]
    fn keys_outside_the_compare_rows_do_nothing() {
        let mut cv = compare_view("a\nb");
        let before = format!("{:?}", cv.app.screen);
        for code in [
            KeyCode::Char('+'),
            KeyCode::Left,
            KeyCode::Tab,
            KeyCode::Char('4'),
        ] {
            assert_eq!(press(&mut cv, code, KeyModifiers::NONE), None, "{code:?}");
        }
        assert_eq!(format!("{:?}", cv.app.screen), before);
        assert_eq!(cv.app.zoom, None);
    }

    #[test]
    fn help_lists_the_compare_rows_of_the_table() {
        let mut cv = compare_view("a");
        press(&mut cv, KeyCode::Char('?'), KeyModifiers::NONE);
        assert!(cv.app.help);
        let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
        terminal.draw(|f| view(&cv, f)).unwrap();
        let screen = terminal.backend().to_string();
        for b in keymap::bindings(KeyMode::Compare) {
            assert!(screen.contains(b.help), "{} missing:\n{screen}", b.help);
        }
        assert!(!screen.contains("cursor 1 s back"), "{screen}");
        press(&mut cv, KeyCode::Esc, KeyModifiers::NONE);
        assert!(!cv.app.help);
    }
}
