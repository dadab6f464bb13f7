//! The one key table: every key the dashboard understands, what it does, and the
//! text the footer and the `?` help overlay show (both are generated from
//! [`BINDINGS`], so they cannot drift from what the keys do).
//!
//! The table serves three screens ([`KeyMode`]): the live dashboard, the read-only
//! viewer of a saved run (`loadpilot open`) and the compare view. Each row says
//! which screens it belongs to; a key may mean different things on different
//! screens (`PgUp` is +10 VUs live and ten seconds back in the viewer), never two
//! things on one screen.
//!
//! Adding a key: add a [`KeyAction`] variant (in `msg`), a row in [`BINDINGS`]
//! with its modes, and its case in `App::update` (plus a test there).
//!
//! The words it maps to (`Msg`, `KeyAction`, `PromptEdit`) live in `msg`, below
//! both this table and the state, so the table does not depend on the state.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

pub use super::msg::KeyAction;
use super::msg::{Msg, PromptEdit, TimeWindow};

/// Which screen is reading keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMode {
    /// The live dashboard of a running test.
    Live,
    /// `loadpilot open`: a saved run, read-only.
    Viewer,
    /// `loadpilot compare` on a terminal.
    Compare,
}

/// The screens a binding belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Modes {
    pub live: bool,
    pub viewer: bool,
    pub compare: bool,
}

impl Modes {
    const LIVE: Modes = Modes {
        live: true,
        viewer: false,
        compare: false,
    };
    const VIEWER: Modes = Modes {
        live: false,
        viewer: true,
        compare: false,
    };
    const COMPARE: Modes = Modes {
        live: false,
        viewer: false,
        compare: true,
    };
    /// Live and viewer: the chart and pane keys.
    const DASHBOARDS: Modes = Modes {
        live: true,
        viewer: true,
        compare: false,
    };
    const ALL: Modes = Modes {
        live: true,
        viewer: true,
        compare: true,
    };

    pub fn contains(self, mode: KeyMode) -> bool {
        match mode {
            KeyMode::Live => self.live,
            KeyMode::Viewer => self.viewer,
            KeyMode::Compare => self.compare,
        }
    }
}

/// One key: a code plus whether Ctrl is held. Shift is ignored on characters (so
/// `+` and `*` work on every layout) and must match on other keys (`Shift-←`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub shift: bool,
}

impl Key {
    const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            ctrl: false,
            shift: false,
        }
    }

    const fn shift(code: KeyCode) -> Key {
        Key {
            code,
            ctrl: false,
            shift: true,
        }
    }

    const fn ch(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            ctrl: true,
            shift: false,
        }
    }

    /// How the key is written in the footer and help.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Up => "↑".to_string(),
            KeyCode::Down => "↓".to_string(),
            KeyCode::Left => "←".to_string(),
            KeyCode::Right => "→".to_string(),
            KeyCode::PageUp => "PgUp".to_string(),
            KeyCode::PageDown => "PgDn".to_string(),
            KeyCode::Tab => "Tab".to_string(),
            KeyCode::Esc => "Esc".to_string(),
            KeyCode::Enter => "Enter".to_string(),
            KeyCode::Char(c) => c.to_string(),
            other => format!("{other:?}"),
        };
        if self.ctrl {
            format!("Ctrl-{base}")
        } else if self.shift {
            format!("Shift-{base}")
        } else {
            base
        }
    }

    fn matches(&self, event: &KeyEvent) -> bool {
        let shift_ok = matches!(self.code, KeyCode::Char(_))
            || self.shift == event.modifiers.contains(KeyModifiers::SHIFT);
        self.code == event.code
            && self.ctrl == event.modifiers.contains(KeyModifiers::CONTROL)
            && shift_ok
    }
}

/// A row of the key table.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Key],
    pub action: KeyAction,
    /// Help overlay text.
    pub help: &'static str,
    /// The screens the row belongs to.
    pub modes: Modes,
}

impl Binding {
    /// All keys joined for display: `↑/k`.
    pub fn keys_label(&self) -> String {
        self.keys
            .iter()
            .map(Key::label)
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// A key of the open footer prompt (`m` note, `b` baseline path): while a prompt
/// is open, these and typed characters edit it instead of steering the run.
#[derive(Debug, Clone, Copy)]
pub struct PromptBinding {
    pub key: Key,
    pub edit: PromptEdit,
    /// Help overlay text.
    pub help: &'static str,
}

/// The prompt's keys, in help-overlay order (Backspace and characters edit the
/// text as anywhere).
pub const PROMPT_BINDINGS: &[PromptBinding] = &[
    PromptBinding {
        key: Key::plain(KeyCode::Enter),
        edit: PromptEdit::Submit,
        help: "prompt: send / load",
    },
    PromptBinding {
        key: Key::plain(KeyCode::Esc),
        edit: PromptEdit::Cancel,
        help: "prompt: cancel",
    },
    PromptBinding {
        key: Key::plain(KeyCode::Tab),
        edit: PromptEdit::Complete,
        help: "b: complete path (2×: list)",
    },
    PromptBinding {
        key: Key::plain(KeyCode::Up),
        edit: PromptEdit::Newer,
        help: "b: newer snapshot",
    },
    PromptBinding {
        key: Key::plain(KeyCode::Down),
        edit: PromptEdit::Older,
        help: "b: older snapshot",
    },
];

/// The key table, in help-overlay order.
pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[Key::plain(KeyCode::Up), Key::ch('k')],
        action: KeyAction::VusUp,
        help: "+1 VU",
        modes: Modes::LIVE,
    },
    Binding {
        keys: &[Key::plain(KeyCode::Down), Key::ch('j')],
        action: KeyAction::VusDown,
        help: "−1 VU",
        modes: Modes::LIVE,
    },
    Binding {
        keys: &[Key::plain(KeyCode::PageUp), Key::ch('+')],
        action: KeyAction::VusUp10,
        help: "+10 VUs",
        modes: Modes::LIVE,
    },
    Binding {
        keys: &[Key::plain(KeyCode::PageDown), Key::ch('-')],
        action: KeyAction::VusDown10,
        help: "−10 VUs",
        modes: Modes::LIVE,
    },
    Binding {
        keys: &[Key::ch('*')],
        action: KeyAction::DoubleVus,
        help: "double the VU target",
        modes: Modes::LIVE,
    },
    Binding {
        keys: &[Key::ch('/')],
        action: KeyAction::HalveVus,
        help: "halve the VU target",
        modes: Modes::LIVE,
    },
    Binding {
        keys: &[Key::ch('h')],
        action: KeyAction::Hold,
        help: "hold the schedule at the current target",
        modes: Modes::LIVE,
    },
    Binding {
        keys: &[Key::ch('r')],
        action: KeyAction::Resume,
        help: "resume the schedule",
        modes: Modes::LIVE,
    },
    Binding {
        keys: &[Key::ch('n')],
        action: KeyAction::SkipStage,
        help: "skip to the next stage",
        modes: Modes::LIVE,
    },
    Binding {
        keys: &[Key::ch(']')],
        action: KeyAction::ExtendRun,
        help: "run one minute longer (the end is fixed otherwise)",
        modes: Modes::LIVE,
    },
    Binding {
        keys: &[Key::ch('p')],
        action: KeyAction::TogglePause,
        help: "pause / unpause all VUs",
        modes: Modes::LIVE,
    },
    Binding {
        keys: &[Key::ch('a')],
        action: KeyAction::SwitchToRate,
        help: "switch to rate = throughput",
        modes: Modes::LIVE,
    },
    Binding {
        keys: &[Key::ch('v')],
        action: KeyAction::SwitchToVus,
        help: "switch to VUs = concurrency",
        modes: Modes::LIVE,
    },
    Binding {
        keys: &[Key::ch('m')],
        action: KeyAction::Annotate,
        help: "annotate (type, Enter sends, Esc cancels)",
        modes: Modes::LIVE,
    },
    Binding {
        keys: &[Key::ch('s')],
        action: KeyAction::SaveSnapshot,
        help: "save a snapshot",
        modes: Modes::LIVE,
    },
    Binding {
        keys: &[Key::ch('b')],
        action: KeyAction::PickBaseline,
        help: "overlay a baseline snapshot (↑↓ pick, Tab path)",
        modes: Modes::LIVE,
    },
    Binding {
        keys: &[Key::plain(KeyCode::Left)],
        action: KeyAction::CursorBack,
        help: "cursor 1 s back",
        modes: Modes::VIEWER,
    },
    Binding {
        keys: &[Key::plain(KeyCode::Right)],
        action: KeyAction::CursorForward,
        help: "cursor 1 s forward",
        modes: Modes::VIEWER,
    },
    Binding {
        keys: &[Key::shift(KeyCode::Left), Key::plain(KeyCode::PageUp)],
        action: KeyAction::CursorBack10,
        help: "cursor 10 s back",
        modes: Modes::VIEWER,
    },
    Binding {
        keys: &[Key::shift(KeyCode::Right), Key::plain(KeyCode::PageDown)],
        action: KeyAction::CursorForward10,
        help: "cursor 10 s forward",
        modes: Modes::VIEWER,
    },
    Binding {
        keys: &[Key::plain(KeyCode::Home)],
        action: KeyAction::CursorStart,
        help: "cursor to the start",
        modes: Modes::VIEWER,
    },
    Binding {
        keys: &[Key::plain(KeyCode::End)],
        action: KeyAction::CursorEnd,
        help: "cursor to the end",
        modes: Modes::VIEWER,
    },
    Binding {
        keys: &[Key::plain(KeyCode::Up), Key::ch('k')],
        action: KeyAction::ScrollUp,
        help: "scroll the table up",
        modes: Modes::COMPARE,
    },
    Binding {
        keys: &[Key::plain(KeyCode::Down), Key::ch('j')],
        action: KeyAction::ScrollDown,
        help: "scroll the table down",
        modes: Modes::COMPARE,
    },
    Binding {
        keys: &[Key::ch('1')],
        action: KeyAction::Window(TimeWindow::M1),
        help: "chart window: 1 minute",
        modes: Modes::DASHBOARDS,
    },
    Binding {
        keys: &[Key::ch('2')],
        action: KeyAction::Window(TimeWindow::M5),
        help: "chart window: 5 minutes",
        modes: Modes::DASHBOARDS,
    },
    Binding {
        keys: &[Key::ch('3')],
        action: KeyAction::Window(TimeWindow::M15),
        help: "chart window: 15 minutes",
        modes: Modes::DASHBOARDS,
    },
    Binding {
        keys: &[Key::ch('4')],
        action: KeyAction::Window(TimeWindow::All),
        help: "chart window: whole run",
        modes: Modes::DASHBOARDS,
    },
    Binding {
        keys: &[Key::ch('l')],
        action: KeyAction::LogScale,
        help: "latency log scale on/off",
        modes: Modes::ALL,
    },
    Binding {
        keys: &[Key::ch('t')],
        action: KeyAction::ServiceTime,
        help: "latency: intended start / service",
        modes: Modes::DASHBOARDS,
    },
    Binding {
        keys: &[Key::ch('f')],
        action: KeyAction::ToggleJourneys,
        help: "journeys pane / requests",
        modes: Modes::DASHBOARDS,
    },
    Binding {
        keys: &[Key::ch('g')],
        action: KeyAction::ToggleStages,
        help: "stages pane / requests",
        modes: Modes::DASHBOARDS,
    },
    Binding {
        keys: &[Key::plain(KeyCode::Tab)],
        action: KeyAction::ZoomNext,
        help: "zoom the next pane (or click a pane)",
        modes: Modes::DASHBOARDS,
    },
    Binding {
        keys: &[Key::plain(KeyCode::Esc)],
        action: KeyAction::Back,
        help: "back (close help, leave zoom)",
        modes: Modes::ALL,
    },
    Binding {
        keys: &[Key::ch('?')],
        action: KeyAction::Help,
        help: "this help",
        modes: Modes::ALL,
    },
    Binding {
        keys: &[Key::ch('q'), Key::ctrl('c')],
        action: KeyAction::Quit,
        help: "stop the run; again within 2 s: quit now",
        modes: Modes::LIVE,
    },
    Binding {
        keys: &[Key::ch('q'), Key::ctrl('c')],
        action: KeyAction::Quit,
        help: "quit",
        modes: Modes {
            live: false,
            viewer: true,
            compare: true,
        },
    },
];

/// A footer: groups of actions with a short text. Keys are taken from
/// [`BINDINGS`] (each action's shortest key in the footer's mode), so footers
/// follow the table.
pub type Footer = &'static [(&'static [KeyAction], &'static str)];

const WINDOWS: &[KeyAction] = &[
    KeyAction::Window(TimeWindow::M1),
    KeyAction::Window(TimeWindow::M5),
    KeyAction::Window(TimeWindow::M15),
    KeyAction::Window(TimeWindow::All),
];

/// The live dashboard's footer, most used first: a narrow terminal drops
/// groups from the end (see `widgets::footer`).
pub const FOOTER: Footer = &[
    (&[KeyAction::Quit], "quit"),
    (&[KeyAction::Help], "help"),
    (&[KeyAction::VusUp, KeyAction::VusDown], "±1"),
    (&[KeyAction::VusUp10, KeyAction::VusDown10], "±10"),
    (&[KeyAction::TogglePause], "pause"),
    (&[KeyAction::Hold], "hold"),
    (&[KeyAction::Resume], "resume"),
    (&[KeyAction::SkipStage], "skip"),
    (&[KeyAction::ZoomNext], "zoom"),
    (&[KeyAction::ToggleJourneys], "journeys"),
    (&[KeyAction::ToggleStages], "stages"),
    (&[KeyAction::Annotate], "note"),
    (WINDOWS, "window"),
    (&[KeyAction::DoubleVus, KeyAction::HalveVus], "×2 ÷2"),
    (&[KeyAction::LogScale], "log"),
    (&[KeyAction::ExtendRun], "+1m"),
    (&[KeyAction::PickBaseline], "baseline"),
];

/// The viewer's footer, most used first.
pub const VIEWER_FOOTER: Footer = &[
    (&[KeyAction::Quit], "quit"),
    (&[KeyAction::Help], "help"),
    (&[KeyAction::CursorBack, KeyAction::CursorForward], "±1s"),
    (
        &[KeyAction::CursorBack10, KeyAction::CursorForward10],
        "±10s",
    ),
    (&[KeyAction::ZoomNext], "zoom"),
    (&[KeyAction::ToggleJourneys], "journeys"),
    (&[KeyAction::ToggleStages], "stages"),
    (
        &[KeyAction::CursorStart, KeyAction::CursorEnd],
        "first/last",
    ),
    (WINDOWS, "window"),
    (&[KeyAction::LogScale], "log"),
];

/// The compare view's footer.
pub const COMPARE_FOOTER: Footer = &[
    (&[KeyAction::Quit], "quit"),
    (&[KeyAction::ScrollUp, KeyAction::ScrollDown], "scroll"),
    (&[KeyAction::LogScale], "log"),
];

/// The footer of a screen.
pub fn footer(mode: KeyMode) -> Footer {
    match mode {
        KeyMode::Live => FOOTER,
        KeyMode::Viewer => VIEWER_FOOTER,
        KeyMode::Compare => COMPARE_FOOTER,
    }
}

/// The rows of a screen, in help order.
pub fn bindings(mode: KeyMode) -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(move |b| b.modes.contains(mode))
}

/// The shortest key bound to `action` in `mode`, as displayed.
pub fn short_key(action: KeyAction, mode: KeyMode) -> Option<String> {
    bindings(mode)
        .filter(|b| b.action == action)
        .flat_map(|b| b.keys.iter().map(Key::label))
        .min_by_key(|label| label.chars().count())
}

/// The keys of a footer group: `↑↓`, `+-`, `1-4`, `PgUp/PgDn`.
pub fn group_keys(actions: &[KeyAction], mode: KeyMode) -> String {
    let keys: Vec<String> = actions.iter().filter_map(|a| short_key(*a, mode)).collect();
    match keys.as_slice() {
        [first, .., last] if keys.len() > 2 => format!("{first}-{last}"),
        _ if keys.iter().all(|k| k.chars().count() == 1) => keys.concat(),
        _ => keys.join("/"),
    }
}

/// The action bound to `event` in `mode`, if any. In the viewer a live-only key
/// (`+`, `h`, …) still yields its action, so `App::update` can refuse it with a
/// hint instead of ignoring it silently.
pub fn action_for(event: &KeyEvent, mode: KeyMode) -> Option<KeyAction> {
    let find = |mode: KeyMode| {
        bindings(mode)
            .find(|b| b.keys.iter().any(|k| k.matches(event)))
            .map(|b| b.action)
    };
    match mode {
        KeyMode::Viewer => find(KeyMode::Viewer).or_else(|| find(KeyMode::Live)),
        _ => find(mode),
    }
}

/// Turns a terminal key event into a message. While a prompt is open keys edit
/// the text instead (Ctrl-C still quits). Key releases and repeats reported by
/// some terminals are ignored.
pub fn key_to_msg(event: &KeyEvent, prompt_open: bool, mode: KeyMode) -> Option<Msg> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    if Key::ctrl('c').matches(event) {
        return Some(Msg::Key(KeyAction::Quit));
    }
    if prompt_open {
        if let Some(b) = PROMPT_BINDINGS.iter().find(|b| b.key.matches(event)) {
            return Some(Msg::Prompt(b.edit));
        }
        let edit = match event.code {
            KeyCode::Backspace => PromptEdit::Backspace,
            KeyCode::Char(c) if !event.modifiers.contains(KeyModifiers::CONTROL) => {
                PromptEdit::Insert(c)
            }
            _ => return None,
        };
        return Some(Msg::Prompt(edit));
    }
    action_for(event, mode).map(Msg::Key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn table_maps_every_documented_key() {
        let cases = [
            (key(KeyCode::Up), KeyAction::VusUp),
            (key(KeyCode::Char('k')), KeyAction::VusUp),
            (key(KeyCode::Down), KeyAction::VusDown),
            (key(KeyCode::Char('j')), KeyAction::VusDown),
            (key(KeyCode::PageUp), KeyAction::VusUp10),
            (key(KeyCode::Char('+')), KeyAction::VusUp10),
            (key(KeyCode::PageDown), KeyAction::VusDown10),
            (key(KeyCode::Char('-')), KeyAction::VusDown10),
            (key(KeyCode::Char('*')), KeyAction::DoubleVus),
            (key(KeyCode::Char('/')), KeyAction::HalveVus),
            (key(KeyCode::Char('h')), KeyAction::Hold),
            (key(KeyCode::Char('r')), KeyAction::Resume),
            (key(KeyCode::Char('m')), KeyAction::Annotate),
            (key(KeyCode::Char('n')), KeyAction::SkipStage),
            (key(KeyCode::Char('p')), KeyAction::TogglePause),
            (key(KeyCode::Char('s')), KeyAction::SaveSnapshot),
            (key(KeyCode::Char('1')), KeyAction::Window(TimeWindow::M1)),
            (key(KeyCode::Char('2')), KeyAction::Window(TimeWindow::M5)),
            (key(KeyCode::Char('3')), KeyAction::Window(TimeWindow::M15)),
            (key(KeyCode::Char('4')), KeyAction::Window(TimeWindow::All)),
            (key(KeyCode::Char('l')), KeyAction::LogScale),
            (key(KeyCode::Char('f')), KeyAction::ToggleJourneys),
            (key(KeyCode::Char('g')), KeyAction::ToggleStages),
            (key(KeyCode::Tab), KeyAction::ZoomNext),
            (key(KeyCode::Esc), KeyAction::Back),
            (key(KeyCode::Char('?')), KeyAction::Help),
            (key(KeyCode::Char('q')), KeyAction::Quit),
            (
                KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
                KeyAction::Quit,
            ),
        ];
        for (event, action) in cases {
            assert_eq!(
                key_to_msg(&event, false, KeyMode::Live),
                Some(Msg::Key(action)),
                "{event:?}"
            );
        }
    }

    #[test]
    fn shift_is_ignored_ctrl_is_not() {
        let plus = KeyEvent::new(KeyCode::Char('+'), KeyModifiers::SHIFT);
        assert_eq!(action_for(&plus, KeyMode::Live), Some(KeyAction::VusUp10));
        let ctrl_k = KeyEvent::new(KeyCode::Char('k'), KeyModifiers::CONTROL);
        assert_eq!(action_for(&ctrl_k, KeyMode::Live), None);
        assert_eq!(action_for(&key(KeyCode::Char('x')), KeyMode::Live), None);
    }

    #[test]
    fn releases_are_ignored() {
        let mut release = key(KeyCode::Char('+'));
        release.kind = KeyEventKind::Release;
        assert_eq!(key_to_msg(&release, false, KeyMode::Live), None);
    }

    #[test]
    fn prompt_captures_keys_but_not_ctrl_c() {
        assert_eq!(
            key_to_msg(&key(KeyCode::Char('q')), true, KeyMode::Live),
            Some(Msg::Prompt(PromptEdit::Insert('q')))
        );
        assert_eq!(
            key_to_msg(&key(KeyCode::Enter), true, KeyMode::Live),
            Some(Msg::Prompt(PromptEdit::Submit))
        );
        assert_eq!(
            key_to_msg(&key(KeyCode::Esc), true, KeyMode::Live),
            Some(Msg::Prompt(PromptEdit::Cancel))
        );
        assert_eq!(
            key_to_msg(&key(KeyCode::Backspace), true, KeyMode::Live),
            Some(Msg::Prompt(PromptEdit::Backspace))
        );
        for (code, edit) in [
            (KeyCode::Tab, PromptEdit::Complete),
            (KeyCode::Up, PromptEdit::Newer),
            (KeyCode::Down, PromptEdit::Older),
        ] {
            assert_eq!(
                key_to_msg(&key(code), true, KeyMode::Live),
                Some(Msg::Prompt(edit)),
                "{code:?} edits the prompt instead of steering"
            );
        }
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(
            key_to_msg(&ctrl_c, true, KeyMode::Live),
            Some(Msg::Key(KeyAction::Quit))
        );
    }

    #[test]
    fn footer_keys_come_from_the_table() {
        let live = KeyMode::Live;
        assert_eq!(
            group_keys(&[KeyAction::VusUp, KeyAction::VusDown], live),
            "↑↓"
        );
        assert_eq!(
            group_keys(&[KeyAction::VusUp10, KeyAction::VusDown10], live),
            "+-"
        );
        assert_eq!(group_keys(&[KeyAction::LogScale], live), "l");
        assert_eq!(group_keys(WINDOWS, live), "1-4");
        assert_eq!(short_key(KeyAction::Quit, live).as_deref(), Some("q"));
        assert_eq!(
            group_keys(
                &[KeyAction::CursorBack10, KeyAction::CursorForward10],
                KeyMode::Viewer
            ),
            "PgUp/PgDn"
        );
        for mode in [KeyMode::Live, KeyMode::Viewer, KeyMode::Compare] {
            for (actions, _) in footer(mode) {
                for a in *actions {
                    assert!(
                        short_key(*a, mode).is_some(),
                        "{a:?} has no key in {mode:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn viewer_keys_move_the_cursor_and_live_keys_still_reach_update() {
        let viewer = KeyMode::Viewer;
        let shift = |code| KeyEvent::new(code, KeyModifiers::SHIFT);
        let cases = [
            (key(KeyCode::Left), KeyAction::CursorBack),
            (key(KeyCode::Right), KeyAction::CursorForward),
            (shift(KeyCode::Left), KeyAction::CursorBack10),
            (shift(KeyCode::Right), KeyAction::CursorForward10),
            (key(KeyCode::PageUp), KeyAction::CursorBack10),
            (key(KeyCode::PageDown), KeyAction::CursorForward10),
            (key(KeyCode::Home), KeyAction::CursorStart),
            (key(KeyCode::End), KeyAction::CursorEnd),
            (key(KeyCode::Char('4')), KeyAction::Window(TimeWindow::All)),
            (key(KeyCode::Tab), KeyAction::ZoomNext),
            (key(KeyCode::Char('q')), KeyAction::Quit),
            // Live-only keys come through so the viewer can refuse them out loud.
            (key(KeyCode::Char('+')), KeyAction::VusUp10),
            (key(KeyCode::Char('h')), KeyAction::Hold),
        ];
        for (event, action) in cases {
            assert_eq!(action_for(&event, viewer), Some(action), "{event:?}");
        }
        // Live: arrows left/right mean nothing; PgUp is still +10 VUs.
        assert_eq!(action_for(&key(KeyCode::Left), KeyMode::Live), None);
        assert_eq!(
            action_for(&key(KeyCode::PageUp), KeyMode::Live),
            Some(KeyAction::VusUp10)
        );
        assert_eq!(
            action_for(&key(KeyCode::Up), KeyMode::Compare),
            Some(KeyAction::ScrollUp)
        );
        assert_eq!(action_for(&key(KeyCode::Char('+')), KeyMode::Compare), None);
    }

    #[test]
    fn no_key_is_bound_twice_on_one_screen() {
        for mode in [KeyMode::Live, KeyMode::Viewer, KeyMode::Compare] {
            let mut seen = Vec::new();
            for b in bindings(mode) {
                for k in b.keys {
                    assert!(!seen.contains(k), "{} bound twice in {mode:?}", k.label());
                    seen.push(*k);
                }
            }
        }
    }
}
