//! UI state and the pure `update`: messages in, at most one [`Action`] out.
//!
//! `App` keeps the newest [`Dashboard`] frame (an `Arc`, never mutated) plus what
//! only the UI knows: chart window, zoom, help, the annotation prompt, a short-lived
//! status hint and local log lines. It never computes statistics and never assumes
//! a command took effect: the header shows what the next frame reports.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::command::Command;
use crate::metrics::dashboard::{Dashboard, LogEntry, LogKind, RunMode};

use super::baseline::{Baseline, Deltas};
use super::keymap::{self, KeyAction, KeyMode};
use super::layout::{self, Pane};
use super::replay::Replay;
use super::theme::Theme;

/// How long a "sent: …" hint stays in the footer.
pub const HINT_TTL: Duration = Duration::from_secs(2);
/// A second `q`/Ctrl-C within this long quits without waiting for the graceful stop.
pub const QUIT_WINDOW: Duration = Duration::from_secs(2);
/// Local (UI-only) log lines kept.
const LOCAL_LOG_CAP: usize = 50;
/// Longest annotation accepted by the prompt, in characters.
const PROMPT_MAX_CHARS: usize = 200;
/// The hint for a key that would change a saved run.
pub const READ_ONLY_HINT: &str = "read-only: this is a saved run";

/// Chart time window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeWindow {
    M1,
    M5,
    M15,
    All,
}

impl TimeWindow {
    /// Window length in seconds; `None` for the whole run.
    pub fn seconds(self) -> Option<u32> {
        match self {
            TimeWindow::M1 => Some(60),
            TimeWindow::M5 => Some(300),
            TimeWindow::M15 => Some(900),
            TimeWindow::All => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TimeWindow::M1 => "1m",
            TimeWindow::M5 => "5m",
            TimeWindow::M15 => "15m",
            TimeWindow::All => "all",
        }
    }
}

/// An edit of the annotation prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptEdit {
    Insert(char),
    Backspace,
    Submit,
    Cancel,
}

/// Everything that can change the UI state.
#[derive(Debug, Clone)]
pub enum Msg {
    /// A new frame from the aggregator.
    Frame(Arc<Dashboard>),
    /// The aggregator's channel closed: the run has fully ended; keep the last frame.
    FeedClosed,
    Key(KeyAction),
    Prompt(PromptEdit),
    /// Left click at a terminal cell.
    Click {
        column: u16,
        row: u16,
    },
    Resize {
        width: u16,
        height: u16,
    },
    /// A baseline snapshot was loaded (`b`): draw it behind the live run.
    Baseline(Arc<Baseline>),
}

impl PartialEq for Msg {
    fn eq(&self, other: &Msg) -> bool {
        match (self, other) {
            (Msg::Frame(a), Msg::Frame(b)) => Arc::ptr_eq(a, b),
            (Msg::FeedClosed, Msg::FeedClosed) => true,
            (Msg::Baseline(a), Msg::Baseline(b)) => Arc::ptr_eq(a, b),
            (Msg::Key(a), Msg::Key(b)) => a == b,
            (Msg::Prompt(a), Msg::Prompt(b)) => a == b,
            (
                Msg::Click { column, row },
                Msg::Click {
                    column: c2,
                    row: r2,
                },
            ) => column == c2 && row == r2,
            (
                Msg::Resize { width, height },
                Msg::Resize {
                    width: w2,
                    height: h2,
                },
            ) => width == w2 && height == h2,
            _ => false,
        }
    }
}

/// A side effect `update` asks the loop to perform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `try_send` this to the engine.
    Send(Command),
    /// Hard stop: cancel the shutdown token and return.
    Quit,
    /// Save a mid-run snapshot; the loop logs where it went.
    SaveSnapshot,
    /// Read this snapshot as the baseline (on a blocking task); the result comes
    /// back as [`Msg::Baseline`] or a log line.
    LoadBaseline(PathBuf),
}

/// What the footer prompt is asking for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PromptKind {
    /// A note for the event log (`m`).
    #[default]
    Annotation,
    /// The path of a baseline snapshot (`b`).
    BaselinePath,
}

/// The footer prompt's text while it is open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub text: String,
}

/// A saved run and where the viewer's time cursor is.
#[derive(Debug, Clone)]
pub struct ReplayCursor {
    pub replay: Arc<Replay>,
    /// Index of the second shown (`0..replay.len()`).
    pub cursor: usize,
    /// Draw the cursor line on the charts (off in the compare view).
    pub show_cursor: bool,
}

impl ReplayCursor {
    /// The cursor's run time in seconds.
    pub fn time_s(&self) -> u32 {
        self.replay.time_s(self.cursor)
    }
}

/// UI state. Owned by the UI loop; `view` reads it, only `update` changes it.
#[derive(Debug, Clone)]
pub struct App {
    /// The newest frame (immutable; replaced whole).
    pub dashboard: Arc<Dashboard>,
    /// The aggregator's channel has closed.
    pub feed_closed: bool,
    pub window: TimeWindow,
    pub log_scale: bool,
    pub zoom: Option<Pane>,
    pub help: bool,
    pub prompt: Option<Prompt>,
    /// Short-lived footer hint and when it expires.
    pub hint: Option<(String, Instant)>,
    /// When the first `q` of a possible double press came.
    pub quit_pressed_at: Option<Instant>,
    /// UI-only log lines (merged into the event log pane), oldest first.
    pub local_log: Vec<LogEntry>,
    /// Terminal size, for mapping clicks to panes.
    pub size: (u16, u16),
    pub theme: Theme,
    /// Logical CPUs of this host, for the "loadpilot is the bottleneck" warning.
    pub cores: usize,
    /// `Some` in the viewer (`loadpilot open`): the saved run and its time cursor;
    /// `dashboard` is then the frame at the cursor.
    pub replay: Option<ReplayCursor>,
    /// A run drawn faded behind this one (`--baseline`, `b`, compare's "before").
    pub baseline: Option<Arc<Baseline>>,
    /// Live minus baseline, recomputed when either changes.
    pub deltas: Option<Deltas>,
}

impl App {
    pub fn new(dashboard: Arc<Dashboard>, theme: Theme, cores: usize) -> App {
        App {
            dashboard,
            feed_closed: false,
            window: TimeWindow::M5,
            log_scale: false,
            zoom: None,
            help: false,
            prompt: None,
            hint: None,
            quit_pressed_at: None,
            local_log: Vec::new(),
            size: (80, 24),
            theme,
            cores: cores.max(1),
            replay: None,
            baseline: None,
            deltas: None,
        }
    }

    /// The viewer over a saved run: whole-run window, cursor on the last second.
    pub fn viewer(replay: Arc<Replay>, theme: Theme, cores: usize) -> App {
        let cursor = replay.len().saturating_sub(1);
        let frame = Arc::new(replay.frame_at(cursor));
        let mut app = App::new(frame, theme, cores);
        app.window = TimeWindow::All;
        app.replay = Some(ReplayCursor {
            replay,
            cursor,
            show_cursor: true,
        });
        app
    }

    /// Adds a baseline drawn behind the run (and the header deltas).
    pub fn with_baseline(mut self, baseline: Option<Arc<Baseline>>) -> App {
        self.baseline = baseline;
        self.refresh_deltas();
        self
    }

    /// Which key table applies.
    pub fn key_mode(&self) -> KeyMode {
        if self.replay.is_some() {
            KeyMode::Viewer
        } else {
            KeyMode::Live
        }
    }

    /// Header lines: a third one carries the baseline deltas.
    pub fn header_rows(&self) -> u16 {
        if self.baseline.is_some() { 3 } else { 2 }
    }

    fn refresh_deltas(&mut self) {
        self.deltas = self
            .baseline
            .as_deref()
            .and_then(|b| Deltas::between(&self.dashboard, b));
    }

    /// Moves the viewer's cursor to `to(cursor, last)` (clamped to the run) and
    /// builds the frame at the new position.
    fn move_cursor(&mut self, to: impl FnOnce(usize, usize) -> usize) -> Option<Action> {
        let replay = self.replay.as_mut()?;
        let last = replay.replay.len().saturating_sub(1);
        let cursor = to(replay.cursor, last).min(last);
        if cursor != replay.cursor {
            replay.cursor = cursor;
            self.dashboard = Arc::new(replay.replay.frame_at(cursor));
            self.refresh_deltas();
        }
        None
    }

    pub fn run_done(&self) -> bool {
        self.dashboard.mode == RunMode::Done
    }

    /// The footer hint if it has not expired at `now`.
    pub fn hint_at(&self, now: Instant) -> Option<&str> {
        self.hint
            .as_ref()
            .filter(|(_, until)| *until > now)
            .map(|(text, _)| text.as_str())
    }

    /// Drops an expired hint; `true` when that changed what is drawn.
    pub fn expire(&mut self, now: Instant) -> bool {
        if self.hint.as_ref().is_some_and(|(_, until)| *until <= now) {
            self.hint = None;
            return true;
        }
        false
    }

    /// Adds a UI-only line to the event log (stamped with the frame's run time).
    pub fn log_local(&mut self, kind: LogKind, text: impl Into<String>) {
        self.local_log.push(LogEntry {
            at: self.dashboard.elapsed,
            kind,
            text: text.into(),
        });
        if self.local_log.len() > LOCAL_LOG_CAP {
            self.local_log.remove(0);
        }
    }

    fn set_hint(&mut self, text: impl Into<String>, now: Instant) {
        self.hint = Some((text.into(), now + HINT_TTL));
    }

    /// Applies one message. Pure apart from `self`: no I/O; `now` is passed in.
    pub fn update(&mut self, msg: Msg, now: Instant) -> Option<Action> {
        match msg {
            Msg::Frame(frame) => {
                self.dashboard = frame;
                self.refresh_deltas();
                None
            }
            Msg::Baseline(baseline) => {
                self.log_local(
                    LogKind::Info,
                    format!("baseline: {} ({} s)", baseline.label, baseline.rows.len()),
                );
                self.baseline = Some(baseline);
                self.refresh_deltas();
                None
            }
            Msg::FeedClosed => {
                self.feed_closed = true;
                None
            }
            Msg::Resize { width, height } => {
                self.size = (width, height);
                None
            }
            Msg::Click { column, row } => {
                if self.help || self.prompt.is_some() {
                    return None;
                }
                let (width, height) = self.size;
                let area = ratatui::layout::Rect::new(0, 0, width, height);
                self.zoom = match self.zoom {
                    Some(_) => None,
                    None => layout::pane_at(area, self.header_rows(), column, row),
                };
                None
            }
            Msg::Prompt(edit) => self.edit_prompt(edit, now),
            Msg::Key(action) => self.key(action, now),
        }
    }

    fn edit_prompt(&mut self, edit: PromptEdit, now: Instant) -> Option<Action> {
        let prompt = self.prompt.as_mut()?;
        match edit {
            PromptEdit::Insert(c) => {
                if prompt.text.chars().count() < PROMPT_MAX_CHARS && !c.is_control() {
                    prompt.text.push(c);
                }
                None
            }
            PromptEdit::Backspace => {
                prompt.text.pop();
                None
            }
            PromptEdit::Cancel => {
                self.prompt = None;
                None
            }
            PromptEdit::Submit => {
                let prompt = self.prompt.take()?;
                let text = prompt.text.trim().to_string();
                if text.is_empty() {
                    return None;
                }
                match prompt.kind {
                    PromptKind::Annotation => self.send(Command::Annotate { text }, now),
                    PromptKind::BaselinePath => {
                        self.set_hint(format!("loading baseline {text}…"), now);
                        Some(Action::LoadBaseline(PathBuf::from(text)))
                    }
                }
            }
        }
    }

    /// Sets the "sent: …" hint and asks the loop to send `command`.
    fn send(&mut self, command: Command, now: Instant) -> Option<Action> {
        self.set_hint(format!("sent: {}", command.describe()), now);
        Some(Action::Send(command))
    }

    /// A VU change, refused once the run is stopping or done.
    fn steer(&mut self, command: Command, now: Instant) -> Option<Action> {
        if matches!(self.dashboard.mode, RunMode::Stopping | RunMode::Done) {
            self.set_hint("the run is ending: no more changes", now);
            return None;
        }
        self.send(command, now)
    }

    fn add_vus(&mut self, delta: i64, now: Instant) -> Option<Action> {
        let target = i64::from(self.dashboard.vus_target);
        // Never ask for fewer than zero VUs.
        let delta = delta.max(-target);
        if delta == 0 {
            self.set_hint("already at 0 VUs", now);
            return None;
        }
        self.steer(Command::AddVus { delta }, now)
    }

    fn key(&mut self, action: KeyAction, now: Instant) -> Option<Action> {
        if action != KeyAction::Quit {
            self.quit_pressed_at = None;
        }
        // A saved run takes only the viewer's keys; the rest would change a run.
        let mode = self.key_mode();
        if mode == KeyMode::Viewer && !keymap::bindings(mode).any(|b| b.action == action) {
            self.set_hint(READ_ONLY_HINT, now);
            return None;
        }
        let target = self.dashboard.vus_target;
        match action {
            KeyAction::VusUp => self.add_vus(1, now),
            KeyAction::VusDown => self.add_vus(-1, now),
            KeyAction::VusUp10 => self.add_vus(10, now),
            KeyAction::VusDown10 => self.add_vus(-10, now),
            KeyAction::DoubleVus => {
                let vus = target.saturating_mul(2).max(1);
                self.steer(Command::SetVus { vus }, now)
            }
            KeyAction::HalveVus => self.steer(Command::SetVus { vus: target / 2 }, now),
            KeyAction::Hold => self.steer(Command::Hold, now),
            KeyAction::Resume => self.steer(Command::Resume, now),
            KeyAction::SkipStage => self.steer(Command::SkipStage, now),
            KeyAction::TogglePause => {
                let command = if self.dashboard.mode == RunMode::Paused {
                    Command::Unpause
                } else {
                    Command::Pause
                };
                self.steer(command, now)
            }
            KeyAction::Annotate => {
                if !self.run_done() {
                    self.prompt = Some(Prompt::default());
                }
                None
            }
            KeyAction::PickBaseline => {
                self.prompt = Some(Prompt {
                    kind: PromptKind::BaselinePath,
                    text: String::new(),
                });
                None
            }
            KeyAction::CursorBack => self.move_cursor(|c, _| c.saturating_sub(1)),
            KeyAction::CursorForward => self.move_cursor(|c, _| c + 1),
            KeyAction::CursorBack10 => self.move_cursor(|c, _| c.saturating_sub(10)),
            KeyAction::CursorForward10 => self.move_cursor(|c, _| c + 10),
            KeyAction::CursorStart => self.move_cursor(|_, _| 0),
            KeyAction::CursorEnd => self.move_cursor(|_, last| last),
            // The compare view scrolls its table itself.
            KeyAction::ScrollUp | KeyAction::ScrollDown => None,
            KeyAction::SaveSnapshot => Some(Action::SaveSnapshot),
            KeyAction::Window(window) => {
                self.window = window;
                None
            }
            KeyAction::LogScale => {
                self.log_scale = !self.log_scale;
                None
            }
            KeyAction::ZoomNext => {
                self.help = false;
                self.zoom = match self.zoom {
                    None => Some(Pane::ALL[0]),
                    Some(pane) => pane.next(),
                };
                None
            }
            KeyAction::Back => {
                if self.help {
                    self.help = false;
                } else {
                    self.zoom = None;
                }
                None
            }
            KeyAction::Help => {
                self.help = !self.help;
                None
            }
            KeyAction::Quit => self.quit(now),
        }
    }

    fn quit(&mut self, now: Instant) -> Option<Action> {
        let again = self
            .quit_pressed_at
            .is_some_and(|first| now.saturating_duration_since(first) <= QUIT_WINDOW);
        if self.run_done() || self.feed_closed || again {
            return Some(Action::Quit);
        }
        self.quit_pressed_at = Some(now);
        self.set_hint("stopping… press q again to quit now", now);
        Some(Action::Send(Command::Stop))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app_with(mode: RunMode, vus_target: u32) -> App {
        let mut d = Dashboard::empty("demo", "http://127.0.0.1:1");
        d.mode = mode;
        d.vus_target = vus_target;
        d.vus_active = vus_target;
        App::new(Arc::new(d), Theme::plain(), 2)
    }

    fn key(app: &mut App, action: KeyAction, now: Instant) -> Option<Action> {
        app.update(Msg::Key(action), now)
    }

    fn sent(command: Command) -> Option<Action> {
        Some(Action::Send(command))
    }

    #[test]
    fn vu_keys_send_deltas() {
        let now = Instant::now();
        let mut app = app_with(RunMode::Ramping, 20);
        assert_eq!(
            key(&mut app, KeyAction::VusUp, now),
            sent(Command::AddVus { delta: 1 })
        );
        assert_eq!(
            key(&mut app, KeyAction::VusDown, now),
            sent(Command::AddVus { delta: -1 })
        );
        assert_eq!(
            key(&mut app, KeyAction::VusUp10, now),
            sent(Command::AddVus { delta: 10 })
        );
        assert_eq!(
            key(&mut app, KeyAction::VusDown10, now),
            sent(Command::AddVus { delta: -10 })
        );
        assert_eq!(app.hint_at(now), Some("sent: -10 VUs"));
        assert_eq!(app.hint_at(now + HINT_TTL), None);
        assert!(app.expire(now + HINT_TTL));
    }

    #[test]
    fn minus_never_goes_below_zero() {
        let now = Instant::now();
        let mut app = app_with(RunMode::Manual, 4);
        assert_eq!(
            key(&mut app, KeyAction::VusDown10, now),
            sent(Command::AddVus { delta: -4 })
        );
        let mut app = app_with(RunMode::Manual, 0);
        assert_eq!(key(&mut app, KeyAction::VusDown, now), None);
        assert_eq!(app.hint_at(now), Some("already at 0 VUs"));
    }

    #[test]
    fn double_and_halve_use_the_reported_target() {
        let now = Instant::now();
        let mut app = app_with(RunMode::Ramping, 25);
        assert_eq!(
            key(&mut app, KeyAction::DoubleVus, now),
            sent(Command::SetVus { vus: 50 })
        );
        // The UI does not assume: the target is still the frame's 25.
        assert_eq!(
            key(&mut app, KeyAction::HalveVus, now),
            sent(Command::SetVus { vus: 12 })
        );
        let mut app = app_with(RunMode::Ramping, 0);
        assert_eq!(
            key(&mut app, KeyAction::DoubleVus, now),
            sent(Command::SetVus { vus: 1 })
        );
    }

    #[test]
    fn schedule_keys() {
        let now = Instant::now();
        let mut app = app_with(RunMode::Ramping, 5);
        assert_eq!(key(&mut app, KeyAction::Hold, now), sent(Command::Hold));
        assert_eq!(key(&mut app, KeyAction::Resume, now), sent(Command::Resume));
        assert_eq!(
            key(&mut app, KeyAction::SkipStage, now),
            sent(Command::SkipStage)
        );
        assert_eq!(
            key(&mut app, KeyAction::TogglePause, now),
            sent(Command::Pause)
        );
        let mut paused = app_with(RunMode::Paused, 5);
        assert_eq!(
            key(&mut paused, KeyAction::TogglePause, now),
            sent(Command::Unpause)
        );
    }

    #[test]
    fn no_steering_once_stopping() {
        let now = Instant::now();
        let mut app = app_with(RunMode::Stopping, 5);
        assert_eq!(key(&mut app, KeyAction::VusUp10, now), None);
        assert_eq!(key(&mut app, KeyAction::Hold, now), None);
    }

    #[test]
    fn annotation_prompt() {
        let now = Instant::now();
        let mut app = app_with(RunMode::Ramping, 5);
        assert_eq!(key(&mut app, KeyAction::Annotate, now), None);
        assert!(app.prompt.is_some());
        for c in "deploy v2x".chars() {
            assert_eq!(app.update(Msg::Prompt(PromptEdit::Insert(c)), now), None);
        }
        app.update(Msg::Prompt(PromptEdit::Backspace), now);
        assert_eq!(
            app.update(Msg::Prompt(PromptEdit::Submit), now),
            sent(Command::Annotate {
                text: "deploy v2".into()
            })
        );
        assert!(app.prompt.is_none());

        key(&mut app, KeyAction::Annotate, now);
        app.update(Msg::Prompt(PromptEdit::Insert('x')), now);
        assert_eq!(app.update(Msg::Prompt(PromptEdit::Cancel), now), None);
        assert!(app.prompt.is_none());

        // An empty note sends nothing.
        key(&mut app, KeyAction::Annotate, now);
        assert_eq!(app.update(Msg::Prompt(PromptEdit::Submit), now), None);
    }

    #[test]
    fn b_prompts_for_a_baseline_path_and_asks_the_loop_to_load_it() {
        let now = Instant::now();
        let mut app = app_with(RunMode::Ramping, 5);
        assert_eq!(key(&mut app, KeyAction::PickBaseline, now), None);
        assert_eq!(
            app.prompt.as_ref().map(|p| p.kind),
            Some(PromptKind::BaselinePath)
        );
        for c in " runs/before.json ".chars() {
            app.update(Msg::Prompt(PromptEdit::Insert(c)), now);
        }
        assert_eq!(
            app.update(Msg::Prompt(PromptEdit::Submit), now),
            Some(Action::LoadBaseline(PathBuf::from("runs/before.json")))
        );
        assert!(app.prompt.is_none());
        assert_eq!(app.header_rows(), 2);
        let baseline = Arc::new(Baseline {
            label: "before.json".into(),
            rows: Vec::new(),
        });
        app.update(Msg::Baseline(baseline), now);
        assert_eq!(app.header_rows(), 3);
        assert!(app.local_log.last().unwrap().text.contains("before.json"));
    }

    #[test]
    fn quit_stops_then_quits_on_second_press() {
        let now = Instant::now();
        let mut app = app_with(RunMode::Ramping, 5);
        assert_eq!(key(&mut app, KeyAction::Quit, now), sent(Command::Stop));
        assert_eq!(
            key(&mut app, KeyAction::Quit, now + Duration::from_millis(500)),
            Some(Action::Quit)
        );
    }

    #[test]
    fn slow_second_quit_stops_again() {
        let now = Instant::now();
        let mut app = app_with(RunMode::Ramping, 5);
        assert_eq!(key(&mut app, KeyAction::Quit, now), sent(Command::Stop));
        let later = now + QUIT_WINDOW + Duration::from_millis(1);
        assert_eq!(key(&mut app, KeyAction::Quit, later), sent(Command::Stop));
    }

    #[test]
    fn quit_when_done_is_immediate() {
        let now = Instant::now();
        let mut app = app_with(RunMode::Done, 0);
        assert_eq!(key(&mut app, KeyAction::Quit, now), Some(Action::Quit));
        let mut app = app_with(RunMode::Ramping, 5);
        app.update(Msg::FeedClosed, now);
        assert_eq!(key(&mut app, KeyAction::Quit, now), Some(Action::Quit));
    }

    #[test]
    fn view_keys_change_ui_state_only() {
        let now = Instant::now();
        let mut app = app_with(RunMode::Ramping, 5);
        assert_eq!(key(&mut app, KeyAction::Window(TimeWindow::M15), now), None);
        assert_eq!(app.window, TimeWindow::M15);
        assert_eq!(key(&mut app, KeyAction::LogScale, now), None);
        assert!(app.log_scale);
        assert_eq!(key(&mut app, KeyAction::Help, now), None);
        assert!(app.help);
        key(&mut app, KeyAction::Back, now);
        assert!(!app.help);
        assert_eq!(
            key(&mut app, KeyAction::SaveSnapshot, now),
            Some(Action::SaveSnapshot)
        );
    }

    #[test]
    fn tab_cycles_zoom_and_esc_leaves_it() {
        let now = Instant::now();
        let mut app = app_with(RunMode::Ramping, 5);
        for pane in Pane::ALL {
            key(&mut app, KeyAction::ZoomNext, now);
            assert_eq!(app.zoom, Some(pane));
        }
        key(&mut app, KeyAction::ZoomNext, now);
        assert_eq!(app.zoom, None);
        key(&mut app, KeyAction::ZoomNext, now);
        key(&mut app, KeyAction::Back, now);
        assert_eq!(app.zoom, None);
    }

    #[test]
    fn click_zooms_the_pane_under_the_pointer() {
        let now = Instant::now();
        let mut app = app_with(RunMode::Ramping, 5);
        app.update(
            Msg::Resize {
                width: 160,
                height: 48,
            },
            now,
        );
        // Row 5 is inside the charts row; the left half is latency.
        app.update(Msg::Click { column: 10, row: 5 }, now);
        assert_eq!(app.zoom, Some(Pane::Latency));
        app.update(Msg::Click { column: 10, row: 5 }, now);
        assert_eq!(app.zoom, None);
        app.update(
            Msg::Click {
                column: 150,
                row: 5,
            },
            now,
        );
        assert_eq!(app.zoom, Some(Pane::Throughput));
    }
}
