//! UI state and the pure `update`: messages in, at most one [`Effect`] out.
//!
//! [`App`] is the state of every screen: a shared core (the newest [`Dashboard`]
//! frame, an `Arc` never mutated, plus chart window, zoom, help, a short-lived
//! hint) and the part only one screen has ([`ScreenState`]: [`LiveState`],
//! [`ViewerState`] or [`CompareState`]), plus an optional [`BaselineState`]. It
//! never computes statistics and never assumes a command took effect: the header
//! shows what the next frame reports.
//!
//! `update` is the only code that changes an `App`. The loops turn everything
//! that happens (keys, frames, the outcome of an effect, the clock) into a
//! [`Msg`] and hand it over; they never write to the state themselves.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::command::Command;
use crate::finder::SearchProgress;
use crate::metrics::dashboard::{Dashboard, LogEntry, LogKind, RunMode};
use crate::plan::LoadModel;

use super::baseline::{Baseline, Deltas};
use super::chart_window::{self, ChartWindow};
use super::keymap::{self, KeyMode};
use super::layout::{self, Pane};
use super::path_prompt::PathPicker;
use super::replay::Replay;
use super::theme::Theme;

pub use super::msg::{Effect, KeyAction, Msg, PromptEdit, Refusal, TablePane, TimeWindow};

/// How long a "sent: …" hint stays in the footer.
pub const HINT_TTL: Duration = Duration::from_secs(2);
/// A second `q`/Ctrl-C within this long quits without waiting for the graceful stop.
pub const QUIT_WINDOW: Duration = Duration::from_secs(2);
/// How much later `]` moves the run's end.
pub const EXTEND_RUN_BY: Duration = Duration::from_secs(60);
/// Local (UI-only) log lines kept.
const LOCAL_LOG_CAP: usize = 50;
/// Longest annotation accepted by the prompt, in characters.
const PROMPT_MAX_CHARS: usize = 200;
/// The hint for a key that would change a saved run.
pub const READ_ONLY_HINT: &str = "read-only: this is a saved run";

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
    /// The `b` prompt's completion and snapshot choices.
    pub picker: PathPicker,
}

/// What only the live dashboard has: the run can still be steered.
#[derive(Debug, Clone, Default)]
pub struct LiveState {
    /// The aggregator's channel has closed.
    pub feed_closed: bool,
    /// The footer prompt (`m`, `b`) while it is open.
    pub prompt: Option<Prompt>,
    /// When the first `q` of a possible double press came.
    pub quit_pressed_at: Option<Instant>,
    /// UI-only log lines (merged into the event log pane), oldest first.
    pub local_log: Vec<LogEntry>,
}

/// What only the viewer (`loadpilot open`) has: a saved run and where its time
/// cursor is. The compare view shows its "after" run through one too.
#[derive(Debug, Clone)]
pub struct ViewerState {
    pub replay: Arc<Replay>,
    /// Index of the second shown (`0..replay.len()`).
    pub cursor: usize,
}

impl ViewerState {
    /// The whole run: the cursor on its last second.
    pub fn at_end(replay: Arc<Replay>) -> ViewerState {
        let cursor = replay.len().saturating_sub(1);
        ViewerState { replay, cursor }
    }

    /// The cursor's run time in seconds.
    pub fn time_s(&self) -> u32 {
        self.replay.time_s(self.cursor)
    }

    /// The frame at the cursor.
    fn frame(&self) -> Arc<Dashboard> {
        Arc::new(self.replay.frame_at(self.cursor))
    }
}

/// What only the compare view (`loadpilot compare` on a terminal) has.
#[derive(Debug, Clone)]
pub struct CompareState {
    /// The "after" run, drawn by the charts (no cursor line); "before" is the
    /// app's baseline.
    pub after: ViewerState,
    pub before_label: String,
    pub after_label: String,
    /// The comparison table, one line each.
    pub table: Vec<String>,
    /// First table line shown.
    pub scroll: usize,
}

/// The screen the app is, with the state only that screen has.
#[derive(Debug, Clone)]
pub enum ScreenState {
    Live(LiveState),
    Viewer(ViewerState),
    Compare(CompareState),
}

/// A run drawn faded behind this one (`--baseline`, `b`, compare's "before").
#[derive(Debug, Clone)]
pub struct BaselineState {
    pub run: Arc<Baseline>,
    /// Shown minus baseline, recomputed when either changes.
    pub deltas: Option<Deltas>,
}

/// UI state. Owned by the UI loop; `view` reads it, only `update` changes it.
#[derive(Debug, Clone)]
pub struct App {
    /// The newest frame (immutable; replaced whole). In the viewer and the
    /// compare view, the frame at the cursor.
    pub dashboard: Arc<Dashboard>,
    pub window: TimeWindow,
    /// The latency chart's scale as the operator chose it with `l`; `None`
    /// leaves it to [`App::log_scale`]'s automatic choice.
    pub log_scale: Option<bool>,
    /// The latency pane shows the service time instead of the latency from
    /// intended start (open model; `t`).
    pub show_service: bool,
    pub zoom: Option<Pane>,
    /// What the requests pane's place shows (`f` journeys, `g` stages).
    pub table: TablePane,
    pub help: bool,
    /// Short-lived footer hint and when it expires.
    pub hint: Option<(String, Instant)>,
    /// Terminal size, for mapping clicks to panes.
    pub size: (u16, u16),
    pub theme: Theme,
    /// Logical CPUs of this host, for the "loadpilot is the bottleneck" warning.
    pub cores: usize,
    /// Which screen this is, and what only it keeps.
    pub screen: ScreenState,
    pub baseline: Option<BaselineState>,
    /// find-limit's progress, when this run is a search (the steps pane).
    pub search: Option<Arc<SearchProgress>>,
}

impl App {
    /// The live dashboard, showing `dashboard` until the next frame.
    pub fn new(dashboard: Arc<Dashboard>, theme: Theme, cores: usize) -> App {
        App::with_screen(
            dashboard,
            ScreenState::Live(LiveState::default()),
            theme,
            cores,
        )
    }

    /// The viewer over a saved run: whole-run window, cursor on the last second.
    pub fn viewer(replay: Arc<Replay>, theme: Theme, cores: usize) -> App {
        let viewer = ViewerState::at_end(replay);
        let mut app = App::with_screen(viewer.frame(), ScreenState::Viewer(viewer), theme, cores);
        app.window = TimeWindow::All;
        app
    }

    /// The compare view: `compare.after`'s charts over the whole run.
    pub fn compare(compare: CompareState, theme: Theme) -> App {
        let frame = compare.after.frame();
        // Cores only feed the memory pane's bottleneck warning, not drawn here.
        let mut app = App::with_screen(frame, ScreenState::Compare(compare), theme, 1);
        app.window = TimeWindow::All;
        app
    }

    fn with_screen(
        dashboard: Arc<Dashboard>,
        screen: ScreenState,
        theme: Theme,
        cores: usize,
    ) -> App {
        App {
            dashboard,
            window: TimeWindow::M5,
            log_scale: None,
            show_service: false,
            zoom: None,
            table: TablePane::Requests,
            help: false,
            hint: None,
            size: (80, 24),
            theme,
            cores: cores.max(1),
            screen,
            baseline: None,
            search: None,
        }
    }

    /// Adds a baseline drawn behind the run (and the header deltas).
    pub fn with_baseline(mut self, baseline: Option<Arc<Baseline>>) -> App {
        self.baseline = baseline.map(|run| BaselineState { run, deltas: None });
        self.refresh_deltas();
        self
    }

    /// Which key table applies.
    pub fn key_mode(&self) -> KeyMode {
        match self.screen {
            ScreenState::Live(_) => KeyMode::Live,
            ScreenState::Viewer(_) => KeyMode::Viewer,
            ScreenState::Compare(_) => KeyMode::Compare,
        }
    }

    /// The live dashboard's own state; `None` on a saved run.
    pub fn live(&self) -> Option<&LiveState> {
        match &self.screen {
            ScreenState::Live(live) => Some(live),
            _ => None,
        }
    }

    /// The saved run shown (viewer, compare view); `None` live.
    pub fn replay(&self) -> Option<&ViewerState> {
        match &self.screen {
            ScreenState::Live(_) => None,
            ScreenState::Viewer(viewer) => Some(viewer),
            ScreenState::Compare(compare) => Some(&compare.after),
        }
    }

    /// The viewer's time cursor, drawn as a line on the charts (not in the
    /// compare view, which shows whole runs).
    pub fn cursor(&self) -> Option<&ViewerState> {
        match &self.screen {
            ScreenState::Viewer(viewer) => Some(viewer),
            _ => None,
        }
    }

    /// The charts' x range and whether it spans the whole run (see
    /// [`chart_window`]).
    pub fn chart_window(&self) -> ChartWindow {
        // The viewer's whole-run window spans the saved run and a baseline, so the
        // cursor moves across it.
        let saved_end = self.replay().map(|viewer| {
            let end = viewer.replay.end_s();
            self.baseline
                .as_ref()
                .map_or(end, |b| end.max(b.run.end_s()))
        });
        chart_window::chart_window(&self.dashboard, self.window, saved_end)
    }

    /// Whether the latency chart draws on a log scale: the operator's choice
    /// (`l`), else by itself when p99 is far above p50 over the chart's range.
    pub fn log_scale(&self) -> bool {
        self.log_scale.unwrap_or_else(|| {
            let (_, p) = chart_window::title_latency(
                &self.dashboard,
                self.window,
                self.chart_window(),
                self.shows_service(),
            );
            chart_window::wants_log(&p)
        })
    }

    /// Whether the latency pane shows service time (`t`, when the run keeps it).
    pub fn shows_service(&self) -> bool {
        self.show_service && self.dashboard.latency_basis.has_service()
    }

    /// The open footer prompt.
    pub fn prompt(&self) -> Option<&Prompt> {
        self.live().and_then(|live| live.prompt.as_ref())
    }

    /// UI-only log lines, oldest first (live only).
    pub fn local_log(&self) -> &[LogEntry] {
        self.live().map_or(&[], |live| live.local_log.as_slice())
    }

    /// The aggregator's channel has closed (live only).
    pub fn feed_closed(&self) -> bool {
        self.live().is_some_and(|live| live.feed_closed)
    }

    /// Header lines: a third one carries the baseline deltas.
    pub fn header_rows(&self) -> u16 {
        if self.baseline.is_some() { 3 } else { 2 }
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

    fn refresh_deltas(&mut self) {
        if let Some(baseline) = &mut self.baseline {
            baseline.deltas = Deltas::between(&self.dashboard, &baseline.run);
        }
    }

    fn live_mut(&mut self) -> Option<&mut LiveState> {
        match &mut self.screen {
            ScreenState::Live(live) => Some(live),
            _ => None,
        }
    }

    /// Drops an expired hint; asks for a redraw when that changed what is drawn.
    fn expire(&mut self, now: Instant) -> Option<Effect> {
        if self.hint.as_ref().is_some_and(|(_, until)| *until <= now) {
            self.hint = None;
            return Some(Effect::Redraw);
        }
        None
    }

    /// Adds a UI-only line to the event log (stamped with the frame's run time).
    /// Saved runs keep no local lines.
    fn log_local(&mut self, kind: LogKind, text: impl Into<String>) -> Option<Effect> {
        let at = self.dashboard.elapsed;
        let live = self.live_mut()?;
        live.local_log.push(LogEntry {
            at,
            kind,
            text: text.into(),
        });
        if live.local_log.len() > LOCAL_LOG_CAP {
            live.local_log.remove(0);
        }
        None
    }

    fn set_hint(&mut self, text: impl Into<String>, now: Instant) {
        self.hint = Some((text.into(), now + HINT_TTL));
    }

    /// Applies one message. Pure apart from `self`: no I/O; `now` is passed in.
    pub fn update(&mut self, msg: Msg, now: Instant) -> Option<Effect> {
        match msg {
            Msg::Frame(frame) => {
                self.dashboard = frame;
                self.refresh_deltas();
                None
            }
            Msg::FeedClosed => {
                if let Some(live) = self.live_mut() {
                    live.feed_closed = true;
                }
                None
            }
            Msg::Resize { width, height } => {
                self.size = (width, height);
                None
            }
            Msg::Click { column, row } => self.click(column, row),
            Msg::Tick => self.expire(now),
            Msg::Prompt(edit) => self.edit_prompt(edit, now),
            Msg::Key(action) => self.key(action, now),
            Msg::BaselineLoaded(baseline) => self.baseline_loaded(baseline),
            msg @ (Msg::SnapshotChoices(_) | Msg::PathMatches { .. }) => self.picker_answer(msg),
            Msg::Search(progress) => {
                self.search = Some(progress);
                None
            }
            Msg::CommandRefused(command, why) => {
                self.log_local(LogKind::Alert, refused(&command, why))
            }
            Msg::SnapshotStarted => self.log_local(LogKind::Info, "saving a snapshot…"),
            Msg::SnapshotsOff => {
                self.log_local(LogKind::Info, "this run keeps no snapshots (--no-snapshot)")
            }
            Msg::SnapshotSaved(path) => {
                self.log_local(LogKind::Info, format!("snapshot saved: {}", path.display()))
            }
            Msg::SnapshotFailed(e) => {
                self.log_local(LogKind::Alert, format!("snapshot not saved: {e}"))
            }
            Msg::BaselineFailed(e) => {
                self.log_local(LogKind::Alert, format!("baseline not loaded: {e}"))
            }
        }
    }

    fn baseline_loaded(&mut self, baseline: Arc<Baseline>) -> Option<Effect> {
        self.log_local(
            LogKind::Info,
            format!("baseline: {} ({} s)", baseline.label, baseline.rows.len()),
        );
        self.baseline = Some(BaselineState {
            run: baseline,
            deltas: None,
        });
        self.refresh_deltas();
        None
    }

    /// A click zooms the pane under the pointer, or leaves the zoom.
    fn click(&mut self, column: u16, row: u16) -> Option<Effect> {
        if self.help || self.prompt().is_some() {
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

    fn edit_prompt(&mut self, edit: PromptEdit, now: Instant) -> Option<Effect> {
        let live = self.live_mut()?;
        let prompt = live.prompt.as_mut()?;
        match edit {
            PromptEdit::Insert(c) => {
                if prompt.text.chars().count() < PROMPT_MAX_CHARS && !c.is_control() {
                    prompt.text.push(c);
                }
                prompt.picker.edited();
                None
            }
            PromptEdit::Backspace => {
                prompt.text.pop();
                prompt.picker.edited();
                None
            }
            PromptEdit::Complete | PromptEdit::Older | PromptEdit::Newer
                if prompt.kind != PromptKind::BaselinePath =>
            {
                None
            }
            PromptEdit::Complete => Some(Effect::CompletePath(prompt.text.clone())),
            PromptEdit::Older | PromptEdit::Newer => {
                let older = edit == PromptEdit::Older;
                prompt.picker.step(&mut prompt.text, older);
                None
            }
            PromptEdit::Cancel => {
                live.prompt = None;
                None
            }
            PromptEdit::Submit => {
                let prompt = live.prompt.take()?;
                self.submit(prompt, now)
            }
        }
    }

    /// Enter in the prompt: send the note, or load the baseline.
    fn submit(&mut self, prompt: Prompt, now: Instant) -> Option<Effect> {
        let text = prompt.text.trim().to_string();
        if text.is_empty() {
            return None;
        }
        match prompt.kind {
            PromptKind::Annotation => self.send(Command::Annotate { text }, now),
            PromptKind::BaselinePath => {
                self.set_hint(format!("loading baseline {text}…"), now);
                Some(Effect::LoadBaseline(PathBuf::from(text)))
            }
        }
    }

    /// Sets the "sent: …" hint and asks the loop to send `command`.
    fn send(&mut self, command: Command, now: Instant) -> Option<Effect> {
        self.set_hint(format!("sent: {}", command.describe()), now);
        Some(Effect::Send(command))
    }

    /// A VU change, refused once the run is stopping or done.
    fn steer(&mut self, command: Command, now: Instant) -> Option<Effect> {
        if matches!(self.dashboard.mode, RunMode::Stopping | RunMode::Done) {
            self.set_hint("the run is ending: no more changes", now);
            return None;
        }
        self.send(command, now)
    }

    fn add_vus(&mut self, delta: i64, now: Instant) -> Option<Effect> {
        let target = i64::from(self.dashboard.vus_target);
        // Never ask for fewer than zero VUs.
        let delta = delta.max(-target);
        if delta == 0 {
            self.set_hint("already at 0 VUs", now);
            return None;
        }
        self.steer(Command::AddVus { delta }, now)
    }

    fn key(&mut self, action: KeyAction, now: Instant) -> Option<Effect> {
        if action != KeyAction::Quit
            && let Some(live) = self.live_mut()
        {
            live.quit_pressed_at = None;
        }
        // A saved run takes only its own screen's keys; the rest would change a run.
        let mode = self.key_mode();
        if mode != KeyMode::Live && !keymap::bindings(mode).any(|b| b.action == action) {
            self.set_hint(READ_ONLY_HINT, now);
            return None;
        }
        match action {
            KeyAction::VusUp
            | KeyAction::VusDown
            | KeyAction::VusUp10
            | KeyAction::VusDown10
            | KeyAction::DoubleVus
            | KeyAction::HalveVus
            | KeyAction::Hold
            | KeyAction::Resume
            | KeyAction::SkipStage
            | KeyAction::ExtendRun
            | KeyAction::TogglePause
            | KeyAction::SwitchToRate
            | KeyAction::SwitchToVus => self.steer_key(action, now),
            KeyAction::Annotate => self.open_prompt(PromptKind::Annotation),
            KeyAction::PickBaseline => self.open_prompt(PromptKind::BaselinePath),
            KeyAction::CursorBack
            | KeyAction::CursorForward
            | KeyAction::CursorBack10
            | KeyAction::CursorForward10
            | KeyAction::CursorStart
            | KeyAction::CursorEnd => self.cursor_key(action),
            KeyAction::ScrollUp | KeyAction::ScrollDown => self.scroll(action),
            KeyAction::SaveSnapshot => Some(Effect::SaveSnapshot),
            KeyAction::Quit => self.quit(now),
            KeyAction::Window(_)
            | KeyAction::LogScale
            | KeyAction::ServiceTime
            | KeyAction::ToggleJourneys
            | KeyAction::ToggleStages
            | KeyAction::ZoomNext
            | KeyAction::Back
            | KeyAction::Help => self.view_key(action),
        }
    }

    /// The keys that steer the run: VU changes, schedule, pause.
    fn steer_key(&mut self, action: KeyAction, now: Instant) -> Option<Effect> {
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
            KeyAction::SwitchToRate => self.switch_model(LoadModel::Rate, now),
            KeyAction::SwitchToVus => self.switch_model(LoadModel::Vus, now),
            KeyAction::ExtendRun => self.steer(
                Command::ExtendRun {
                    secs: EXTEND_RUN_BY.as_secs(),
                },
                now,
            ),
            KeyAction::TogglePause => {
                let command = if self.dashboard.mode == RunMode::Paused {
                    Command::Unpause
                } else {
                    Command::Pause
                };
                self.steer(command, now)
            }
            _ => None,
        }
    }

    /// `a` and `v`: switch the load model. The open model starts at the
    /// throughput of the last closed second; the engine picks the VUs for the
    /// way back (it knows how many are busy).
    fn switch_model(&mut self, model: LoadModel, now: Instant) -> Option<Effect> {
        if self.dashboard.model == model {
            let hint = match model {
                LoadModel::Rate => "already an arrival rate (v switches to VUs)",
                LoadModel::Vus => "already VUs (a switches to an arrival rate)",
            };
            self.set_hint(hint, now);
            return None;
        }
        match model {
            LoadModel::Rate => {
                let rate = self.dashboard.rps_now.round() as u32;
                if rate == 0 {
                    self.set_hint("no throughput yet to switch to", now);
                    return None;
                }
                self.steer(Command::SwitchToRate { rate }, now)
            }
            LoadModel::Vus => self.steer(Command::SwitchToVus, now),
        }
    }

    /// `m` and `b`: open the footer prompt. A finished run takes no more notes.
    fn open_prompt(&mut self, kind: PromptKind) -> Option<Effect> {
        let done = self.run_done();
        let live = self.live_mut()?;
        if kind == PromptKind::BaselinePath || !done {
            live.prompt = Some(Prompt {
                kind,
                ..Prompt::default()
            });
        }
        // The snapshots ↑/↓ choose among are listed once, as the prompt opens.
        (kind == PromptKind::BaselinePath).then_some(Effect::ListSnapshots)
    }

    /// The `b` prompt, while it is open.
    fn baseline_prompt(&mut self) -> Option<&mut Prompt> {
        self.live_mut()?
            .prompt
            .as_mut()
            .filter(|p| p.kind == PromptKind::BaselinePath)
    }

    /// The loop's answers for the `b` prompt: its snapshot choices, and Tab's
    /// matches (dropped if the text changed since Tab).
    fn picker_answer(&mut self, msg: Msg) -> Option<Effect> {
        let prompt = self.baseline_prompt()?;
        match msg {
            Msg::SnapshotChoices(choices) => prompt.picker.choices = choices,
            Msg::PathMatches { typed, matches } if typed == prompt.text => {
                prompt.picker.complete(&mut prompt.text, &matches);
            }
            _ => {}
        }
        None
    }

    /// Moves the viewer's cursor (clamped to the run) and builds the frame at
    /// the new position.
    fn cursor_key(&mut self, action: KeyAction) -> Option<Effect> {
        let ScreenState::Viewer(viewer) = &mut self.screen else {
            return None;
        };
        let last = viewer.replay.len().saturating_sub(1);
        let c = viewer.cursor;
        let cursor = match action {
            KeyAction::CursorBack => c.saturating_sub(1),
            KeyAction::CursorForward => c + 1,
            KeyAction::CursorBack10 => c.saturating_sub(10),
            KeyAction::CursorForward10 => c + 10,
            KeyAction::CursorStart => 0,
            KeyAction::CursorEnd => last,
            _ => c,
        }
        .min(last);
        if cursor != viewer.cursor {
            viewer.cursor = cursor;
            self.dashboard = viewer.frame();
            self.refresh_deltas();
        }
        None
    }

    /// Scrolls the compare view's table, keeping its last line on screen.
    fn scroll(&mut self, action: KeyAction) -> Option<Effect> {
        let ScreenState::Compare(compare) = &mut self.screen else {
            return None;
        };
        compare.scroll = match action {
            KeyAction::ScrollUp => compare.scroll.saturating_sub(1),
            _ => (compare.scroll + 1).min(compare.table.len().saturating_sub(1)),
        };
        None
    }

    /// The keys that change only how things are drawn.
    fn view_key(&mut self, action: KeyAction) -> Option<Effect> {
        match action {
            KeyAction::Window(window) => self.window = window,
            // An explicit choice, the opposite of what is shown, wins from now on.
            KeyAction::LogScale => self.log_scale = Some(!self.log_scale()),
            KeyAction::ServiceTime => self.show_service = !self.show_service,
            KeyAction::ToggleJourneys => self.table = self.table.toggle(TablePane::Journeys),
            KeyAction::ToggleStages => self.table = self.table.toggle(TablePane::Stages),
            KeyAction::ZoomNext => {
                self.help = false;
                self.zoom = match self.zoom {
                    None => Some(Pane::ALL[0]),
                    Some(pane) => pane.next(),
                };
            }
            KeyAction::Back if self.help => self.help = false,
            KeyAction::Back => self.zoom = None,
            KeyAction::Help => self.help = !self.help,
            _ => {}
        }
        None
    }

    /// Live: the first press stops gracefully, a second within [`QUIT_WINDOW`]
    /// (or any once the run is over) quits. A saved run quits at once.
    fn quit(&mut self, now: Instant) -> Option<Effect> {
        let done = self.run_done();
        let Some(live) = self.live_mut() else {
            return Some(Effect::Quit);
        };
        let again = live
            .quit_pressed_at
            .is_some_and(|first| now.saturating_duration_since(first) <= QUIT_WINDOW);
        if done || live.feed_closed || again {
            return Some(Effect::Quit);
        }
        live.quit_pressed_at = Some(now);
        self.set_hint("stopping… press q again to quit now", now);
        Some(Effect::Send(Command::Stop))
    }
}

/// The log line for a command the loop could not send.
fn refused(command: &Command, why: Refusal) -> String {
    match why {
        Refusal::Busy => format!(
            "engine busy: \"{}\" not sent, try again",
            command.describe()
        ),
        Refusal::EngineStopped => {
            format!("engine has stopped: \"{}\" not sent", command.describe())
        }
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

    fn key(app: &mut App, action: KeyAction, now: Instant) -> Option<Effect> {
        app.update(Msg::Key(action), now)
    }

    fn sent(command: Command) -> Option<Effect> {
        Some(Effect::Send(command))
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
        assert_eq!(app.update(Msg::Tick, now + HINT_TTL), Some(Effect::Redraw));
    }

    #[test]
    fn a_and_v_switch_the_model_from_what_the_frame_shows() {
        let now = Instant::now();
        let mut app = app_with(RunMode::Ramping, 10);
        assert_eq!(key(&mut app, KeyAction::SwitchToRate, now), None);
        assert_eq!(app.hint_at(now), Some("no throughput yet to switch to"));
        let mut d = Dashboard::empty("demo", "http://127.0.0.1:1");
        d.rps_now = 123.4;
        app.update(Msg::Frame(Arc::new(d)), now);
        assert_eq!(
            key(&mut app, KeyAction::SwitchToRate, now),
            sent(Command::SwitchToRate { rate: 123 })
        );
        assert_eq!(key(&mut app, KeyAction::SwitchToVus, now), None);
        assert!(app.hint_at(now).unwrap().starts_with("already VUs"));
        let mut d = Dashboard::empty("demo", "http://127.0.0.1:1");
        d.model = LoadModel::Rate;
        app.update(Msg::Frame(Arc::new(d)), now);
        assert_eq!(
            key(&mut app, KeyAction::SwitchToVus, now),
            sent(Command::SwitchToVus)
        );
        assert_eq!(key(&mut app, KeyAction::SwitchToRate, now), None);
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
            key(&mut app, KeyAction::ExtendRun, now),
            sent(Command::ExtendRun { secs: 60 })
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
        assert!(app.prompt().is_some());
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
        assert!(app.prompt().is_none());

        key(&mut app, KeyAction::Annotate, now);
        app.update(Msg::Prompt(PromptEdit::Insert('x')), now);
        assert_eq!(app.update(Msg::Prompt(PromptEdit::Cancel), now), None);
        assert!(app.prompt().is_none());

        // An empty note sends nothing.
        key(&mut app, KeyAction::Annotate, now);
        assert_eq!(app.update(Msg::Prompt(PromptEdit::Submit), now), None);
    }

    #[test]
    fn b_prompts_for_a_baseline_path_and_asks_the_loop_to_load_it() {
        let now = Instant::now();
        let mut app = app_with(RunMode::Ramping, 5);
        assert_eq!(
            key(&mut app, KeyAction::PickBaseline, now),
            Some(Effect::ListSnapshots)
        );
        assert_eq!(app.prompt().map(|p| p.kind), Some(PromptKind::BaselinePath));
        for c in " runs/before.json ".chars() {
            app.update(Msg::Prompt(PromptEdit::Insert(c)), now);
        }
        assert_eq!(
            app.update(Msg::Prompt(PromptEdit::Submit), now),
            Some(Effect::LoadBaseline(PathBuf::from("runs/before.json")))
        );
        assert!(app.prompt().is_none());
        assert_eq!(app.header_rows(), 2);
        let baseline = Arc::new(Baseline {
            label: "before.json".into(),
            rows: Vec::new(),
        });
        app.update(Msg::BaselineLoaded(baseline), now);
        assert_eq!(app.header_rows(), 3);
        assert!(app.local_log().last().unwrap().text.contains("before.json"));
    }

    #[test]
    fn quit_stops_then_quits_on_second_press() {
        let now = Instant::now();
        let mut app = app_with(RunMode::Ramping, 5);
        assert_eq!(key(&mut app, KeyAction::Quit, now), sent(Command::Stop));
        assert_eq!(
            key(&mut app, KeyAction::Quit, now + Duration::from_millis(500)),
            Some(Effect::Quit)
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
        assert_eq!(key(&mut app, KeyAction::Quit, now), Some(Effect::Quit));
        let mut app = app_with(RunMode::Ramping, 5);
        app.update(Msg::FeedClosed, now);
        assert_eq!(key(&mut app, KeyAction::Quit, now), Some(Effect::Quit));
    }

    #[test]
    fn view_keys_change_ui_state_only() {
        let now = Instant::now();
        let mut app = app_with(RunMode::Ramping, 5);
        assert_eq!(key(&mut app, KeyAction::Window(TimeWindow::M15), now), None);
        assert_eq!(app.window, TimeWindow::M15);
        assert_eq!(key(&mut app, KeyAction::LogScale, now), None);
        assert_eq!(app.log_scale, Some(true));
        assert!(app.log_scale());
        key(&mut app, KeyAction::LogScale, now);
        assert!(!app.log_scale(), "a second l switches back");
        assert_eq!(key(&mut app, KeyAction::Help, now), None);
        assert!(app.help);
        key(&mut app, KeyAction::Back, now);
        assert!(!app.help);
        assert_eq!(
            key(&mut app, KeyAction::SaveSnapshot, now),
            Some(Effect::SaveSnapshot)
        );
    }

    #[test]
    fn f_and_g_switch_the_table_pane_and_back() {
        let now = Instant::now();
        let mut app = app_with(RunMode::Ramping, 5);
        assert_eq!(app.table, TablePane::Requests);
        assert_eq!(key(&mut app, KeyAction::ToggleJourneys, now), None);
        assert_eq!(app.table, TablePane::Journeys);
        key(&mut app, KeyAction::ToggleStages, now);
        assert_eq!(app.table, TablePane::Stages);
        key(&mut app, KeyAction::ToggleStages, now);
        assert_eq!(app.table, TablePane::Requests);
        key(&mut app, KeyAction::ToggleJourneys, now);
        key(&mut app, KeyAction::ToggleJourneys, now);
        assert_eq!(app.table, TablePane::Requests);
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
