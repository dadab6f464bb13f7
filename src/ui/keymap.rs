//! The one key table: every key the dashboard understands, what it does, and the
//! text the footer and the `?` help overlay show (both are generated from
//! [`BINDINGS`], so they cannot drift from what the keys do).
//!
//! Adding a key: add a [`KeyAction`] variant, a row in [`BINDINGS`], and its case
//! in `App::update` (plus a test there).

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::{Msg, PromptEdit, TimeWindow};

/// What a key asks for. `App::update` turns it into UI state or a `Command`.
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
    /// Pause, or unpause when the engine reports PAUSED.
    TogglePause,
    SaveSnapshot,
    Window(TimeWindow),
    LogScale,
    /// Zoom the next pane full screen (after the last one: back to all panes).
    ZoomNext,
    /// Close help / leave zoom.
    Back,
    Help,
    /// Graceful stop; a second press within 2 s (or once the run is done) quits.
    Quit,
}

/// One key: a code plus whether Ctrl is held (Shift is ignored, so `+` and `*`
/// work on every layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

impl Key {
    const fn plain(code: KeyCode) -> Key {
        Key { code, ctrl: false }
    }

    const fn ch(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            ctrl: true,
        }
    }

    /// How the key is written in the footer and help.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Up => "↑".to_string(),
            KeyCode::Down => "↓".to_string(),
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
        } else {
            base
        }
    }

    fn matches(&self, event: &KeyEvent) -> bool {
        self.code == event.code && self.ctrl == event.modifiers.contains(KeyModifiers::CONTROL)
    }
}

/// A row of the key table.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Key],
    pub action: KeyAction,
    /// Help overlay text.
    pub help: &'static str,
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

/// The key table, in help-overlay order.
pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[Key::plain(KeyCode::Up), Key::ch('k')],
        action: KeyAction::VusUp,
        help: "+1 VU",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Down), Key::ch('j')],
        action: KeyAction::VusDown,
        help: "−1 VU",
    },
    Binding {
        keys: &[Key::plain(KeyCode::PageUp), Key::ch('+')],
        action: KeyAction::VusUp10,
        help: "+10 VUs",
    },
    Binding {
        keys: &[Key::plain(KeyCode::PageDown), Key::ch('-')],
        action: KeyAction::VusDown10,
        help: "−10 VUs",
    },
    Binding {
        keys: &[Key::ch('*')],
        action: KeyAction::DoubleVus,
        help: "double the VU target",
    },
    Binding {
        keys: &[Key::ch('/')],
        action: KeyAction::HalveVus,
        help: "halve the VU target",
    },
    Binding {
        keys: &[Key::ch('h')],
        action: KeyAction::Hold,
        help: "hold the schedule at the current target",
    },
    Binding {
        keys: &[Key::ch('r')],
        action: KeyAction::Resume,
        help: "resume the schedule",
    },
    Binding {
        keys: &[Key::ch('n')],
        action: KeyAction::SkipStage,
        help: "skip to the next stage",
    },
    Binding {
        keys: &[Key::ch('p')],
        action: KeyAction::TogglePause,
        help: "pause / unpause all VUs",
    },
    Binding {
        keys: &[Key::ch('m')],
        action: KeyAction::Annotate,
        help: "annotate (type, Enter sends, Esc cancels)",
    },
    Binding {
        keys: &[Key::ch('s')],
        action: KeyAction::SaveSnapshot,
        help: "save a snapshot",
    },
    Binding {
        keys: &[Key::ch('1')],
        action: KeyAction::Window(TimeWindow::M1),
        help: "chart window: 1 minute",
    },
    Binding {
        keys: &[Key::ch('2')],
        action: KeyAction::Window(TimeWindow::M5),
        help: "chart window: 5 minutes",
    },
    Binding {
        keys: &[Key::ch('3')],
        action: KeyAction::Window(TimeWindow::M15),
        help: "chart window: 15 minutes",
    },
    Binding {
        keys: &[Key::ch('4')],
        action: KeyAction::Window(TimeWindow::All),
        help: "chart window: whole run",
    },
    Binding {
        keys: &[Key::ch('l')],
        action: KeyAction::LogScale,
        help: "latency log scale on/off",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Tab)],
        action: KeyAction::ZoomNext,
        help: "zoom the next pane (or click a pane)",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Esc)],
        action: KeyAction::Back,
        help: "back (close help, leave zoom)",
    },
    Binding {
        keys: &[Key::ch('?')],
        action: KeyAction::Help,
        help: "this help",
    },
    Binding {
        keys: &[Key::ch('q'), Key::ctrl('c')],
        action: KeyAction::Quit,
        help: "stop the run; again within 2 s: quit now",
    },
];

/// The footer: groups of actions with a short text. Keys are taken from
/// [`BINDINGS`] (each action's shortest key), so the footer follows the table.
pub const FOOTER: &[(&[KeyAction], &str)] = &[
    (&[KeyAction::Quit], "quit"),
    (&[KeyAction::Help], "help"),
    (&[KeyAction::VusUp, KeyAction::VusDown], "±1"),
    (&[KeyAction::VusUp10, KeyAction::VusDown10], "±10"),
    (&[KeyAction::Hold], "hold"),
    (&[KeyAction::Resume], "resume"),
    (&[KeyAction::TogglePause], "pause"),
    (&[KeyAction::SkipStage], "skip"),
    (&[KeyAction::Annotate], "note"),
    (&[KeyAction::ZoomNext], "zoom"),
    (&[KeyAction::DoubleVus, KeyAction::HalveVus], "×2 ÷2"),
    (
        &[
            KeyAction::Window(TimeWindow::M1),
            KeyAction::Window(TimeWindow::M5),
            KeyAction::Window(TimeWindow::M15),
            KeyAction::Window(TimeWindow::All),
        ],
        "window",
    ),
    (&[KeyAction::LogScale], "log"),
];

/// The shortest key bound to `action`, as displayed.
pub fn short_key(action: KeyAction) -> Option<String> {
    BINDINGS
        .iter()
        .filter(|b| b.action == action)
        .flat_map(|b| b.keys.iter().map(Key::label))
        .min_by_key(|label| label.chars().count())
}

/// The keys of a footer group: `↑↓`, `+-`, `1-4`.
pub fn group_keys(actions: &[KeyAction]) -> String {
    let keys: Vec<String> = actions.iter().filter_map(|a| short_key(*a)).collect();
    match keys.as_slice() {
        [first, .., last] if keys.len() > 2 => format!("{first}-{last}"),
        _ => keys.concat(),
    }
}

/// The action bound to `event`, if any.
pub fn action_for(event: &KeyEvent) -> Option<KeyAction> {
    BINDINGS
        .iter()
        .find(|b| b.keys.iter().any(|k| k.matches(event)))
        .map(|b| b.action)
}

/// Turns a terminal key event into a message. While the annotation prompt is open
/// keys edit the text instead (Ctrl-C still quits). Key releases and repeats
/// reported by some terminals are ignored.
pub fn key_to_msg(event: &KeyEvent, prompt_open: bool) -> Option<Msg> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    if Key::ctrl('c').matches(event) {
        return Some(Msg::Key(KeyAction::Quit));
    }
    if prompt_open {
        let edit = match event.code {
            KeyCode::Enter => PromptEdit::Submit,
            KeyCode::Esc => PromptEdit::Cancel,
            KeyCode::Backspace => PromptEdit::Backspace,
            KeyCode::Char(c) if !event.modifiers.contains(KeyModifiers::CONTROL) => {
                PromptEdit::Insert(c)
            }
            _ => return None,
        };
        return Some(Msg::Prompt(edit));
    }
    action_for(event).map(Msg::Key)
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
                key_to_msg(&event, false),
                Some(Msg::Key(action)),
                "{event:?}"
            );
        }
    }

    #[test]
    fn shift_is_ignored_ctrl_is_not() {
        let plus = KeyEvent::new(KeyCode::Char('+'), KeyModifiers::SHIFT);
        assert_eq!(action_for(&plus), Some(KeyAction::VusUp10));
        let ctrl_k = KeyEvent::new(KeyCode::Char('k'), KeyModifiers::CONTROL);
        assert_eq!(action_for(&ctrl_k), None);
        assert_eq!(action_for(&key(KeyCode::Char('x'))), None);
    }

    #[test]
    fn releases_are_ignored() {
        let mut release = key(KeyCode::Char('+'));
        release.kind = KeyEventKind::Release;
        assert_eq!(key_to_msg(&release, false), None);
    }

    #[test]
    fn prompt_captures_keys_but_not_ctrl_c() {
        assert_eq!(
            key_to_msg(&key(KeyCode::Char('q')), true),
            Some(Msg::Prompt(PromptEdit::Insert('q')))
        );
        assert_eq!(
            key_to_msg(&key(KeyCode::Enter), true),
            Some(Msg::Prompt(PromptEdit::Submit))
        );
        assert_eq!(
            key_to_msg(&key(KeyCode::Esc), true),
            Some(Msg::Prompt(PromptEdit::Cancel))
        );
        assert_eq!(
            key_to_msg(&key(KeyCode::Backspace), true),
            Some(Msg::Prompt(PromptEdit::Backspace))
        );
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(key_to_msg(&ctrl_c, true), Some(Msg::Key(KeyAction::Quit)));
    }

    #[test]
    fn footer_keys_come_from_the_table() {
        assert_eq!(group_keys(&[KeyAction::VusUp, KeyAction::VusDown]), "↑↓");
        assert_eq!(
            group_keys(&[KeyAction::VusUp10, KeyAction::VusDown10]),
            "+-"
        );
        assert_eq!(group_keys(FOOTER.last().unwrap().0), "l");
        assert_eq!(group_keys(FOOTER[FOOTER.len() - 2].0), "1-4");
        assert_eq!(short_key(KeyAction::Quit).as_deref(), Some("q"));
        for (actions, _) in FOOTER {
            for a in *actions {
                assert!(short_key(*a).is_some(), "{a:?} has no key");
            }
        }
    }

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = Vec::new();
        for b in BINDINGS {
            for k in b.keys {
                assert!(!seen.contains(k), "{} bound twice", k.label());
                seen.push(*k);
            }
        }
    }
}
