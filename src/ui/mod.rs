//! The live dashboard.
//!
//! The Elm Architecture, one loop:
//!
//! ```text
//! crossterm EventStream ─▶ keymap ─▶ Msg ─▶ App::update (pure) ─▶ Effect ─▶ Command ─try_send─▶ engine
//! watch<Arc<Dashboard>> ─────────────▶ Msg::Frame ─┤                  │           (mpsc, bounded)
//! tick, background jobs ─────────────▶ Msg ────────┘                  └─▶ jobs (snapshot, baseline)
//! ```
//!
//! `update` is the only code that changes the [`App`]: the loop turns every
//! outcome (a command refused, a snapshot saved or not, a baseline loaded or
//! not, the clock) into a [`Msg`] and hands it over.
//!
//! Each wake-up drains what is ready (events up to [`EVENT_BUDGET`], the newest
//! frame), then draws once if anything changed, at most every [`FRAME_INTERVAL`].
//! `view` draws from the newest immutable [`Dashboard`]; the UI shows what the
//! engine reports, never what it assumed.
//!
//! The terminal is restored on every path: [`TerminalGuard`]'s `Drop`, and a
//! panic hook that restores before the panic message prints.
//!
//! The same `App` and widgets serve saved runs: [`viewer`] (`loadpilot open`:
//! frames built by [`replay::Replay`] at a time cursor, read-only keys) and
//! [`compare_view`] (`loadpilot compare` on a terminal). [`baseline`] is a saved
//! run drawn faded behind a live one (`--baseline`, `b`) with deltas in the header.

pub mod baseline;
pub mod chart_window;
pub mod compare_view;
pub mod error;
mod jobs;
pub mod keymap;
pub mod layout;
pub mod msg;
pub mod path_prompt;
pub mod replay;
pub mod state;
pub mod theme;
pub mod view;
pub mod viewer;
pub mod widgets;

use std::io::{self, Stdout};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};
use std::time::Duration;

use anyhow::Context;
use crossterm::event::{
    DisableMouseCapture, EnableMouseCapture, Event, EventStream, MouseButton, MouseEventKind,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use futures_util::{FutureExt, Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::command::Command;
use crate::metrics::dashboard::Dashboard;
use crate::session::SnapshotSaver;

use msg::{Effect, Msg, Refusal};
use state::App;
use theme::Theme;

/// Redraw at most this often (about 10 frames a second).
pub const FRAME_INTERVAL: Duration = Duration::from_millis(100);
/// Terminal events handled per wake-up before drawing.
pub const EVENT_BUDGET: usize = 64;
/// How often expiring state (the footer hint) is checked.
pub(crate) const TICK_INTERVAL: Duration = Duration::from_millis(250);
/// Outcomes of background jobs waiting for the loop. Each job sends once and
/// ends; one job starts per key press, so a few slots are plenty (a full
/// channel only makes a job wait).
const RESULTS_CAP: usize = 8;

/// What the dashboard talks to. Built by `run`; the UI owns it until it returns.
pub struct UiContext {
    /// Newest frame from the aggregator; closes (changed() errs) when the run has fully ended — keep showing the last frame.
    pub dashboard: watch::Receiver<Arc<Dashboard>>,
    /// Ordered operator commands to the engine (bounded; use try_send, never block the UI).
    pub commands: mpsc::Sender<Command>,
    /// Cancelled by the UI on a forced quit (second q / Ctrl-C within 2 s) — hard stop; the UI also returns when it is cancelled by someone else (SIGTERM path).
    pub shutdown: CancellationToken,
    /// Writes mid-run snapshots (`s`); `None` when the run keeps no snapshots.
    pub snapshots: Option<SnapshotSaver>,
    /// A saved run drawn faded behind the live one (`--baseline`); `b` can pick another.
    pub baseline: Option<Arc<baseline::Baseline>>,
    /// find-limit's progress (sent by `finder::drive`), for the steps pane;
    /// `None` for a plain run. Its sender is dropped when the search ends; the
    /// last value stays on screen.
    pub search: Option<watch::Receiver<crate::finder::SearchProgress>>,
}

/// Takes over the terminal (raw mode, alternate screen, mouse capture), runs until the user quits, restores the terminal on every path (Drop guard + panic hook that restores before the panic message prints).
pub async fn run_dashboard(mut ctx: UiContext) -> anyhow::Result<()> {
    let guard = TerminalGuard::enter()
        .context("cannot take over the terminal for the dashboard (use --headless)")?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))
        .context("cannot draw on the terminal")?;
    let size = terminal.size().context("cannot read the terminal size")?;
    let first = ctx.dashboard.borrow_and_update().clone();
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let mut app = App::new(first, Theme::from_env(), cores).with_baseline(ctx.baseline.clone());
    app.update(
        Msg::Resize {
            width: size.width,
            height: size.height,
        },
        Instant::now().into_std(),
    );
    // Debug builds only: lets the PTY tests prove the panic path restores the terminal.
    #[cfg(debug_assertions)]
    if std::env::var_os("LOADPILOT_TEST_PANIC").is_some() {
        terminal
            .draw(|frame| view::view(&app, frame))
            .context("cannot draw the dashboard")?;
        panic!("LOADPILOT_TEST_PANIC: a deliberate panic in the dashboard");
    }
    let result = drive(&mut terminal, &mut app, EventStream::new(), ctx).await;
    drop::<Terminal<CrosstermBackend<Stdout>>>(terminal);
    drop(guard);
    result
}

/// When to draw: only after something changed, at most every [`FRAME_INTERVAL`].
#[derive(Debug)]
struct Pacer {
    dirty: bool,
    last_draw: Option<Instant>,
}

impl Pacer {
    /// The earliest time the next frame may be drawn.
    fn next_draw(&self, now: Instant) -> Instant {
        self.last_draw.map_or(now, |t| t + FRAME_INTERVAL)
    }

    /// Draws `app` if it changed and the interval has passed.
    fn draw<B>(&mut self, terminal: &mut Terminal<B>, app: &App) -> anyhow::Result<()>
    where
        B: Backend,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        let now = Instant::now();
        if self.dirty && now >= self.next_draw(now) {
            terminal
                .draw(|frame| view::view(app, frame))
                .context("cannot draw the dashboard")?;
            self.last_draw = Some(now);
            self.dirty = false;
        }
        Ok(())
    }
}

/// The loop, generic over the backend and the event source so tests can drive
/// it with a `TestBackend` and scripted events.
pub async fn drive<B, S>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    mut events: S,
    mut ctx: UiContext,
) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    let mut feed_open = true;
    let mut pacer = Pacer {
        dirty: true,
        last_draw: None,
    };
    let mut tick = tokio::time::interval(TICK_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Background jobs (snapshot writers, baseline readers) → this loop: their
    // outcome as a message. The loop keeps a sender, so recv never ends.
    let (results, mut results_rx) = mpsc::channel::<Msg>(RESULTS_CAP);
    loop {
        pacer.draw(terminal, app)?;
        let next_draw = pacer.next_draw(Instant::now());
        let msg = tokio::select! {
            biased;
            _ = ctx.shutdown.cancelled() => return Ok(()),
            event = events.next() => {
                let Some(event) = event else {
                    ctx.shutdown.cancel();
                    anyhow::bail!("the terminal's input closed");
                };
                let first = event.context("cannot read terminal input")?;
                pacer.dirty = true;
                let flow = drain_events(first, &mut events, |ev| match event_to_msg(app, ev) {
                    Some(msg) => apply(app, msg, &ctx, &results),
                    None => ControlFlow::Continue(()),
                });
                if flow.is_break() {
                    return Ok(());
                }
                continue;
            }
            changed = ctx.dashboard.changed(), if feed_open => match changed {
                Ok(()) => Msg::Frame(ctx.dashboard.borrow_and_update().clone()),
                Err(_) => {
                    feed_open = false;
                    Msg::FeedClosed
                }
            },
            Some(progress) = search_changed(&mut ctx.search) => Msg::Search(Arc::new(progress)),
            Some(msg) = results_rx.recv() => msg,
            _ = tokio::time::sleep_until(next_draw), if pacer.dirty => continue,
            _ = tick.tick() => {
                if app.update(Msg::Tick, Instant::now().into_std()) == Some(Effect::Redraw) {
                    pacer.dirty = true;
                }
                continue;
            }
        };
        pacer.dirty = true;
        if apply(app, msg, &ctx, &results).is_break() {
            return Ok(());
        }
    }
}

/// The next search progress; `None` (and no more calls wake) once there is no
/// search or its sender is gone.
async fn search_changed(
    search: &mut Option<watch::Receiver<crate::finder::SearchProgress>>,
) -> Option<crate::finder::SearchProgress> {
    let Some(rx) = search else {
        return std::future::pending().await;
    };
    if rx.changed().await.is_err() {
        *search = None;
        return None;
    }
    Some(rx.borrow_and_update().clone())
}

/// Handles `first` and then whatever input is already waiting, up to
/// [`EVENT_BUDGET`] events, so a burst of keys costs one redraw. Stops early when
/// `handle` says `Break`.
pub(crate) fn drain_events<S>(
    first: Event,
    events: &mut S,
    mut handle: impl FnMut(Event) -> ControlFlow<()>,
) -> ControlFlow<()>
where
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    let mut event = Some(first);
    let mut handled = 0;
    while let Some(ev) = event.take() {
        handle(ev)?;
        handled += 1;
        if handled < EVENT_BUDGET {
            event = match events.next().now_or_never() {
                Some(Some(Ok(ev))) => Some(ev),
                _ => None,
            };
        }
    }
    ControlFlow::Continue(())
}

/// The message a terminal event means on `app`'s screen, if any (keys through
/// the key table).
pub(crate) fn event_to_msg(app: &App, event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) => keymap::key_to_msg(&key, app.prompt().is_some(), app.key_mode()),
        Event::Mouse(mouse) if mouse.kind == MouseEventKind::Down(MouseButton::Left) => {
            Some(Msg::Click {
                column: mouse.column,
                row: mouse.row,
            })
        }
        Event::Resize(width, height) => Some(Msg::Resize { width, height }),
        _ => None,
    }
}

/// Hands `msg` to `update` and carries out the effect it asks for; an effect's
/// immediate outcome goes back to `update` the same way. `Break` means the UI
/// returns.
fn apply(app: &mut App, msg: Msg, ctx: &UiContext, results: &mpsc::Sender<Msg>) -> ControlFlow<()> {
    let mut next = Some(msg);
    // Outcomes are log lines that ask for nothing, so this runs at most twice.
    while let Some(msg) = next.take() {
        if let Some(effect) = app.update(msg, Instant::now().into_std()) {
            next = perform(effect, ctx, results)?;
        }
    }
    ControlFlow::Continue(())
}

/// Carries out an [`Effect`]: `Break` means the UI returns; a message is its
/// immediate outcome, for `update`. Later outcomes arrive on `results`.
fn perform(
    effect: Effect,
    ctx: &UiContext,
    results: &mpsc::Sender<Msg>,
) -> ControlFlow<(), Option<Msg>> {
    let outcome = match effect {
        Effect::Send(command) => match ctx.commands.try_send(command) {
            Ok(()) => None,
            Err(mpsc::error::TrySendError::Full(command)) => {
                Some(Msg::CommandRefused(command, Refusal::Busy))
            }
            Err(mpsc::error::TrySendError::Closed(Command::Stop)) => {
                // Nothing left to stop gracefully.
                ctx.shutdown.cancel();
                return ControlFlow::Break(());
            }
            Err(mpsc::error::TrySendError::Closed(command)) => {
                Some(Msg::CommandRefused(command, Refusal::EngineStopped))
            }
        },
        Effect::Quit => {
            ctx.shutdown.cancel();
            return ControlFlow::Break(());
        }
        Effect::SaveSnapshot => match &ctx.snapshots {
            Some(saver) => {
                jobs::save_snapshot(saver.clone(), results.clone());
                Some(Msg::SnapshotStarted)
            }
            None => Some(Msg::SnapshotsOff),
        },
        Effect::LoadBaseline(path) => {
            jobs::load_baseline(path, results.clone());
            None
        }
        Effect::ListSnapshots => {
            let dir = ctx.snapshots.as_ref().map_or_else(
                || std::path::PathBuf::from(path_prompt::DEFAULT_SNAPSHOT_DIR),
                SnapshotSaver::dir,
            );
            Some(Msg::SnapshotChoices(path_prompt::recent_snapshots(&dir)))
        }
        Effect::CompletePath(typed) => {
            let matches = path_prompt::path_matches(&typed);
            Some(Msg::PathMatches { typed, matches })
        }
        Effect::Redraw => None,
    };
    ControlFlow::Continue(outcome)
}

/// Whether a [`TerminalGuard`] currently holds the terminal (read by the panic hook).
static TERMINAL_TAKEN: AtomicBool = AtomicBool::new(false);
static PANIC_HOOK: Once = Once::new();

/// Raw mode + alternate screen + mouse capture for as long as it lives; restores
/// the terminal when dropped (normal return, `?`, unwinding). A process-wide panic
/// hook restores it too, before the panic message prints, while a guard is held.
#[derive(Debug)]
pub struct TerminalGuard {
    _private: (),
}

impl TerminalGuard {
    pub fn enter() -> io::Result<TerminalGuard> {
        PANIC_HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if TERMINAL_TAKEN.load(Ordering::SeqCst) {
                    restore_terminal();
                }
                previous(info);
            }));
        });
        enable_raw_mode()?;
        TERMINAL_TAKEN.store(true, Ordering::SeqCst);
        // From here on the guard exists, so a failure below still restores.
        let guard = TerminalGuard { _private: () };
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            crossterm::cursor::Hide
        )?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Leaves raw mode and the alternate screen; safe to call more than once.
fn restore_terminal() {
    if TERMINAL_TAKEN.swap(false, Ordering::SeqCst) {
        let _ = execute!(
            io::stdout(),
            DisableMouseCapture,
            LeaveAlternateScreen,
            crossterm::cursor::Show
        );
        let _ = disable_raw_mode();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::backend::TestBackend;

    use crate::metrics::dashboard::RunMode;

    struct Harness {
        keys: mpsc::UnboundedSender<io::Result<Event>>,
        frames: watch::Sender<Arc<Dashboard>>,
        commands: mpsc::Receiver<Command>,
        shutdown: CancellationToken,
        task: tokio::task::JoinHandle<anyhow::Result<String>>,
    }

    fn frame(mode: RunMode, vus_target: u32) -> Arc<Dashboard> {
        let mut d = Dashboard::empty("demo", "http://127.0.0.1:1/");
        d.mode = mode;
        d.vus_target = vus_target;
        Arc::new(d)
    }

    fn start() -> Harness {
        let (keys, key_rx) = mpsc::unbounded_channel();
        let (frames, frame_rx) = watch::channel(frame(RunMode::Ramping, 10));
        let (cmd_tx, commands) = mpsc::channel(64);
        let shutdown = CancellationToken::new();
        let ctx = UiContext {
            dashboard: frame_rx,
            commands: cmd_tx,
            shutdown: shutdown.clone(),
            snapshots: None,
            baseline: None,
            search: None,
        };
        let events = Box::pin(futures_util::stream::unfold(key_rx, |mut rx| async move {
            rx.recv().await.map(|e| (e, rx))
        }));
        let task = tokio::spawn(async move {
            let mut terminal = Terminal::new(TestBackend::new(80, 24))?;
            let mut app = App::new(ctx.dashboard.borrow().clone(), Theme::plain(), 2);
            drive(&mut terminal, &mut app, events, ctx).await?;
            Ok(terminal.backend().to_string())
        });
        Harness {
            keys,
            frames,
            commands,
            shutdown,
            task,
        }
    }

    fn press(h: &Harness, code: KeyCode) {
        h.keys
            .send(Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE))))
            .unwrap();
    }

    #[tokio::test]
    async fn keys_become_commands_in_order_and_q_twice_quits() {
        let mut h = start();
        press(&h, KeyCode::Char('+'));
        press(&h, KeyCode::Char('*'));
        press(&h, KeyCode::Char('h'));
        press(&h, KeyCode::Char('q'));
        assert_eq!(h.commands.recv().await, Some(Command::AddVus { delta: 10 }));
        // `*` doubles the target the frame reports (10), not an assumed 20.
        assert_eq!(h.commands.recv().await, Some(Command::SetVus { vus: 20 }));
        assert_eq!(h.commands.recv().await, Some(Command::Hold));
        assert_eq!(h.commands.recv().await, Some(Command::Stop));
        assert!(!h.shutdown.is_cancelled());
        press(&h, KeyCode::Char('q'));
        let screen = tokio::time::timeout(Duration::from_secs(5), h.task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert!(h.shutdown.is_cancelled());
        assert!(screen.contains("demo"), "{screen}");
    }

    #[tokio::test]
    async fn done_run_stays_open_then_q_quits() {
        let h = start();
        h.frames.send(frame(RunMode::Done, 0)).unwrap();
        drop(h.frames);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!h.task.is_finished(), "the UI must stay open after DONE");
        h.keys
            .send(Ok(Event::Key(KeyEvent::new(
                KeyCode::Char('c'),
                KeyModifiers::CONTROL,
            ))))
            .unwrap();
        let screen = tokio::time::timeout(Duration::from_secs(5), h.task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert!(screen.contains("run finished — q to quit"), "{screen}");
        assert!(h.shutdown.is_cancelled());
    }

    #[tokio::test]
    async fn external_cancel_returns() {
        let h = start();
        h.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(5), h.task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }

    #[tokio::test]
    async fn a_missing_baseline_file_is_logged_not_fatal() {
        let h = start();
        press(&h, KeyCode::Char('b'));
        for c in "/nonexistent/before.json".chars() {
            press(&h, KeyCode::Char(c));
        }
        press(&h, KeyCode::Enter);
        tokio::time::sleep(Duration::from_millis(400)).await;
        h.shutdown.cancel();
        let screen = h.task.await.unwrap().unwrap();
        assert!(screen.contains("baseline not loaded"), "{screen}");
    }

    #[tokio::test]
    async fn snapshot_key_logs_a_local_line() {
        let h = start();
        press(&h, KeyCode::Char('s'));
        tokio::time::sleep(Duration::from_millis(250)).await;
        h.shutdown.cancel();
        let screen = h.task.await.unwrap().unwrap();
        // The 80-column events pane cuts the line after "snapsho".
        assert!(screen.contains("this run keeps no snap"), "{screen}");
    }
}
