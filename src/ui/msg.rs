//! The UI's message vocabulary: what can happen to the UI state ([`Msg`]), what a
//! key asks for ([`KeyAction`]) and what `update` asks the loop to do
//! ([`Effect`]).
//!
//! It sits below both the key table (`keymap`, which turns key events into
//! `Msg`) and the state (`state`, whose `update` consumes them), so neither
//! imports the other for its words.

use std::path::PathBuf;
use std::sync::Arc;

use crate::command::Command;
use crate::metrics::dashboard::Dashboard;

use super::baseline::Baseline;
use super::error::{BaselineError, SaveError};

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

/// What the table pane (the requests pane's place) shows. `f` and `g` switch
/// to journeys and stages and back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TablePane {
    /// Per request (during find-limit: its steps).
    #[default]
    Requests,
    /// Flows with success rate and flow time, checks, custom metrics, personas.
    Journeys,
    /// Per stage: load, achieved rps, latency, errors, dropped, recoveries.
    Stages,
}

impl TablePane {
    /// `to`, or back to the requests when `to` is already shown.
    pub fn toggle(self, to: TablePane) -> TablePane {
        if self == to { TablePane::Requests } else { to }
    }
}

/// An edit of the footer prompt (`m` note, `b` baseline path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptEdit {
    Insert(char),
    Backspace,
    Submit,
    Cancel,
    /// Tab: complete the baseline path (the loop lists the matches).
    Complete,
    /// ↓ / ↑: the next older / newer snapshot into the baseline prompt.
    Older,
    Newer,
}

/// What a key asks for. `App::update` turns it into UI state or an [`Effect`].
///
/// Adding a key: a variant here, a row in `keymap::BINDINGS` with its screens,
/// its case in `App::update` (plus a test there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    /// +1 VU.
    VusUp,
    /// −1 VU.
    VusDown,
    /// +10 VUs.
    VusUp10,
    /// −10 VUs.
    VusDown10,
    /// Set the target to twice the reported target.
    DoubleVus,
    /// Set the target to half the reported target.
    HalveVus,
    Hold,
    Resume,
    /// Open the annotation prompt.
    Annotate,
    SkipStage,
    /// Move the run's end one minute later.
    ExtendRun,
    /// Pause, or unpause when the engine reports PAUSED.
    TogglePause,
    /// Closed model → open model at the throughput of the last second.
    SwitchToRate,
    /// Open model → VUs at the current concurrency.
    SwitchToVus,
    SaveSnapshot,
    Window(TimeWindow),
    LogScale,
    /// Latency pane: from intended start ↔ service time (open model, corrected runs).
    ServiceTime,
    /// Table pane: journeys ↔ requests.
    ToggleJourneys,
    /// Table pane: stages ↔ requests.
    ToggleStages,
    /// Zoom the next pane full screen (after the last one: back to all panes).
    ZoomNext,
    /// Close help / leave zoom.
    Back,
    Help,
    /// Graceful stop; a second press within 2 s (or once the run is done) quits.
    Quit,
    /// Open the prompt for a baseline snapshot's path (live only).
    PickBaseline,
    /// Viewer: move the time cursor one second back / forward.
    CursorBack,
    CursorForward,
    /// Viewer: ten seconds back / forward.
    CursorBack10,
    CursorForward10,
    /// Viewer: to the first / last second of the run.
    CursorStart,
    CursorEnd,
    /// Compare view: scroll the comparison table.
    ScrollUp,
    ScrollDown,
}

/// Why the loop could not hand a command to the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The command channel is full.
    Busy,
    /// The engine has stopped reading commands.
    EngineStopped,
}

/// Everything that can change the UI state: terminal input, frames, the
/// results of the effects the loop carried out, and the clock.
///
/// Adding a message: a variant here, its case in `App::update` (and in the
/// `PartialEq` below), and where the loop produces it.
#[derive(Debug, Clone)]
pub enum Msg {
    /// A new frame from the aggregator.
    Frame(Arc<Dashboard>),
    /// find-limit's progress changed (a step started or was judged).
    Search(Arc<crate::finder::SearchProgress>),
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
    /// Time passed: drop what has expired (the footer hint).
    Tick,
    /// The loop could not send this command to the engine.
    CommandRefused(Command, Refusal),
    /// A mid-run snapshot is being written (`s`).
    SnapshotStarted,
    /// `s` in a run that keeps no snapshots (`--no-snapshot`).
    SnapshotsOff,
    /// A mid-run snapshot was written here.
    SnapshotSaved(PathBuf),
    /// A mid-run snapshot could not be written.
    SnapshotFailed(Arc<SaveError>),
    /// A baseline snapshot was loaded (`b`): draw it behind the live run.
    BaselineLoaded(Arc<Baseline>),
    /// A baseline snapshot could not be read.
    BaselineFailed(Arc<BaselineError>),
    /// The snapshots the `b` prompt offers on ↑/↓, newest first.
    SnapshotChoices(Vec<PathBuf>),
    /// The paths that complete `typed` (Tab in the `b` prompt).
    PathMatches {
        typed: String,
        matches: Vec<String>,
    },
}

impl PartialEq for Msg {
    /// Frames, baselines and errors compare by identity (they are shared, not
    /// copied); everything else by value.
    fn eq(&self, other: &Msg) -> bool {
        use Msg::*;
        match (self, other) {
            (Frame(a), Frame(b)) => Arc::ptr_eq(a, b),
            (Search(a), Search(b)) => Arc::ptr_eq(a, b),
            (BaselineLoaded(a), BaselineLoaded(b)) => Arc::ptr_eq(a, b),
            (SnapshotFailed(a), SnapshotFailed(b)) => Arc::ptr_eq(a, b),
            (BaselineFailed(a), BaselineFailed(b)) => Arc::ptr_eq(a, b),
            (Key(a), Key(b)) => a == b,
            (Prompt(a), Prompt(b)) => a == b,
            (Click { column, row }, Click { column: c, row: r }) => column == c && row == r,
            (
                Resize { width, height },
                Resize {
                    width: w,
                    height: h,
                },
            ) => width == w && height == h,
            (CommandRefused(a, why), CommandRefused(b, why2)) => a == b && why == why2,
            (SnapshotSaved(a), SnapshotSaved(b)) => a == b,
            (SnapshotChoices(a), SnapshotChoices(b)) => a == b,
            (
                PathMatches { typed, matches },
                PathMatches {
                    typed: t,
                    matches: m,
                },
            ) => typed == t && matches == m,
            (FeedClosed, FeedClosed)
            | (Tick, Tick)
            | (SnapshotStarted, SnapshotStarted)
            | (SnapshotsOff, SnapshotsOff) => true,
            _ => false,
        }
    }
}

/// A side effect `update` asks the loop to carry out. Its outcome comes back
/// as a [`Msg`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// `try_send` this to the engine; a refusal comes back as [`Msg::CommandRefused`].
    Send(Command),
    /// Hard stop: cancel the shutdown token and return.
    Quit,
    /// Save a mid-run snapshot; the outcome comes back as [`Msg::SnapshotStarted`]
    /// or [`Msg::SnapshotsOff`], later [`Msg::SnapshotSaved`] or [`Msg::SnapshotFailed`].
    SaveSnapshot,
    /// Read this snapshot as the baseline (on a blocking task); the result comes
    /// back as [`Msg::BaselineLoaded`] or [`Msg::BaselineFailed`].
    LoadBaseline(PathBuf),
    /// List the snapshots in the run's snapshot folder, newest first; they come
    /// back as [`Msg::SnapshotChoices`].
    ListSnapshots,
    /// List the paths that complete this text; they come back as
    /// [`Msg::PathMatches`].
    CompletePath(String),
    /// Draw again: what is shown changed without new input (a hint expired).
    Redraw,
}
