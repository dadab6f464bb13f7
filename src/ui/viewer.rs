//! `loadpilot open`: the dashboard over a saved run, read-only.
//!
//! The same [`App`], `view` and widgets as the live dashboard; the frames come
//! from a [`Replay`] at a time cursor instead of the aggregator, and the keys from
//! the viewer's rows of the key table (`←`/`→`, `Home`/`End`, …). Nothing here
//! talks to a target: the file is all it reads.
//!
//! [`run_static`] is the loop of screens whose data does not change while shown
//! (this viewer and the compare view): draw, wait for a key, hand its message to
//! `update`, draw. A saved run asks for no effect but quitting (and a redraw when
//! a hint expires).

use std::io::{self, IsTerminal};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use crossterm::event::{Event, EventStream};
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};

use crate::snapshot::Snapshot;

use super::msg::{Effect, Msg};
use super::replay::Replay;
use super::state::App;
use super::theme::Theme;
use super::{TICK_INTERVAL, TerminalGuard, event_to_msg};

/// Shows `snapshot` until the user quits. When stdout or stdin is not a terminal,
/// prints the end-of-run summary instead.
pub async fn run_viewer(snapshot: Snapshot) -> anyhow::Result<()> {
    let record = snapshot.to_record()?;
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        crate::stdout::print(&crate::report::Summary::from_record(&record).render_text());
        return Ok(());
    }
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let app = App::viewer(
        Arc::new(Replay::from_record(&record)),
        Theme::from_env(),
        cores,
    );
    run_static(app).await
}

/// Takes over the terminal, shows `app` (a saved run: viewer or compare view)
/// until the user quits, restores the terminal on every path (the
/// [`TerminalGuard`]).
pub async fn run_static(mut app: App) -> anyhow::Result<()> {
    let guard = TerminalGuard::enter().context("cannot take over the terminal")?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))
        .context("cannot draw on the terminal")?;
    let size = terminal.size().context("cannot read the terminal size")?;
    let resize = Msg::Resize {
        width: size.width,
        height: size.height,
    };
    app.update(resize, Instant::now());
    let result = drive_static(&mut terminal, &mut app, EventStream::new()).await;
    drop(terminal);
    drop(guard);
    result
}

/// The loop, generic over the backend and the event source so tests can drive it
/// with a `TestBackend` and scripted events: draw when something changed, wait
/// for input, drain up to `EVENT_BUDGET` ready events, repeat.
pub async fn drive_static<B, S>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    mut events: S,
) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    let mut tick = tokio::time::interval(TICK_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut dirty = true;
    loop {
        if dirty {
            terminal
                .draw(|frame| super::view::view(app, frame))
                .context("cannot draw")?;
            dirty = false;
        }
        tokio::select! {
            event = events.next() => {
                // Input closed: nobody can press q any more, so leave.
                let Some(event) = event else { return Ok(()) };
                let first = event.context("cannot read terminal input")?;
                dirty = true;
                if super::drain_events(first, &mut events, |ev| on_event(app, ev)).is_break() {
                    return Ok(());
                }
            }
            _ = tick.tick() => {
                if app.update(Msg::Tick, Instant::now()) == Some(Effect::Redraw) {
                    dirty = true;
                }
            }
        }
    }
}

/// Hands one terminal event to `update`; `Break` closes the screen.
fn on_event(app: &mut App, event: Event) -> ControlFlow<()> {
    let Some(msg) = event_to_msg(app, event) else {
        return ControlFlow::Continue(());
    };
    match app.update(msg, Instant::now()) {
        Some(Effect::Quit) => ControlFlow::Break(()),
        // A saved run sends nothing: `update` refuses every run-changing key
        // before it could ask for an effect.
        _ => ControlFlow::Continue(()),
    }
}

/// `loadpilot compare` on a terminal: shows the comparison until the user quits
/// (the caller checked stdout is a terminal). Lives with the viewer's loop so the
/// compare screen itself ([`super::compare_view`]) only builds state and draws.
pub async fn run_compare(
    before: &crate::metrics::aggregator::RunRecord,
    after: &crate::metrics::aggregator::RunRecord,
    table: &str,
) -> anyhow::Result<()> {
    let cv = super::compare_view::CompareView::new(before, after, table, Theme::from_env());
    run_static(cv.app).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::backend::TestBackend;
    use std::time::Duration;

    use crate::metrics::dashboard::{Percentiles, SecondRow};
    use crate::outcome::OutcomeClass;
    use crate::ui::keymap::KeyAction;
    use crate::ui::state::READ_ONLY_HINT;

    fn replay(seconds: u32) -> Arc<Replay> {
        let series = (0..seconds)
            .map(|t| {
                let mut classes = [0; OutcomeClass::COUNT];
                classes[OutcomeClass::Ok.index()] = 100;
                SecondRow {
                    t_s: t,
                    requests: 100,
                    classes,
                    latency: Percentiles {
                        p50_us: 1000,
                        p90_us: 2000,
                        p95_us: 3000,
                        p99_us: 4000,
                        max_us: 5000,
                    },
                    ..SecondRow::default()
                }
            })
            .collect();
        let record = crate::metrics::aggregator::RunRecord {
            duration: Duration::from_secs(u64::from(seconds)),
            series,
            ..crate::metrics::aggregator::RunRecord::empty("p", "http://x")
        };
        Arc::new(Replay::from_record(&record))
    }

    fn cursor(app: &App) -> usize {
        app.replay().unwrap().cursor
    }

    fn key(app: &mut App, action: KeyAction) -> Option<Effect> {
        app.update(Msg::Key(action), Instant::now())
    }

    #[test]
    fn cursor_moves_and_clamps() {
        let mut app = App::viewer(replay(30), Theme::plain(), 2);
        assert_eq!(cursor(&app), 29, "opens on the last second");
        key(&mut app, KeyAction::CursorForward);
        assert_eq!(cursor(&app), 29);
        key(&mut app, KeyAction::CursorForward10);
        assert_eq!(cursor(&app), 29);
        key(&mut app, KeyAction::CursorBack);
        assert_eq!(cursor(&app), 28);
        assert_eq!(app.dashboard.series.len(), 29);
        key(&mut app, KeyAction::CursorBack10);
        assert_eq!(cursor(&app), 18);
        key(&mut app, KeyAction::CursorBack10);
        key(&mut app, KeyAction::CursorBack10);
        assert_eq!(cursor(&app), 0);
        key(&mut app, KeyAction::CursorBack);
        assert_eq!(cursor(&app), 0);
        assert_eq!(app.dashboard.requests, 100);
        key(&mut app, KeyAction::CursorEnd);
        assert_eq!(cursor(&app), 29);
        assert_eq!(app.dashboard.requests, 3000);
        key(&mut app, KeyAction::CursorStart);
        assert_eq!(cursor(&app), 0);
        // An empty run has one position, 0.
        let mut empty = App::viewer(replay(0), Theme::plain(), 2);
        key(&mut empty, KeyAction::CursorForward);
        assert_eq!(cursor(&empty), 0);
    }

    #[test]
    fn run_changing_keys_are_refused_with_a_hint() {
        let mut app = App::viewer(replay(30), Theme::plain(), 2);
        let now = Instant::now();
        for action in [
            KeyAction::VusUp10,
            KeyAction::VusDown,
            KeyAction::DoubleVus,
            KeyAction::Hold,
            KeyAction::Resume,
            KeyAction::SkipStage,
            KeyAction::TogglePause,
            KeyAction::Annotate,
            KeyAction::SaveSnapshot,
            KeyAction::PickBaseline,
        ] {
            app.hint = None;
            assert_eq!(app.update(Msg::Key(action), now), None, "{action:?}");
            assert_eq!(app.hint_at(now), Some(READ_ONLY_HINT), "{action:?}");
            assert!(app.prompt().is_none());
        }
        assert_eq!(key(&mut app, KeyAction::Quit), Some(Effect::Quit));
    }

    #[tokio::test]
    async fn the_loop_moves_the_cursor_and_quits_on_q() {
        let mut app = App::viewer(replay(30), Theme::plain(), 2);
        let press = |code| Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        let events = futures_util::stream::iter(vec![
            press(KeyCode::Left),
            press(KeyCode::Left),
            press(KeyCode::Char('+')),
            press(KeyCode::Char('q')),
            press(KeyCode::Left),
        ]);
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        drive_static(&mut terminal, &mut app, events).await.unwrap();
        assert_eq!(cursor(&app), 27, "keys after q are not read");
        let screen = terminal.backend().to_string();
        assert!(screen.contains("at 00:29 / 00:30"), "{screen}");
        assert!(screen.contains("VIEW"), "{screen}");
    }
}
