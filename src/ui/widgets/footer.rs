//! The bottom line: the annotation prompt while it is open; otherwise a status
//! (run finished, a short-lived hint) followed by the keys from the key table.
//! The key groups come most used first; those that do not fit the width are
//! left out whole (a group is never cut mid-word), so 80 columns keep quit,
//! help and the VU keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::ui::keymap::{footer, group_keys};
use crate::ui::state::App;
use crate::ui::state::PromptKind;

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    if let Some(prompt) = app.prompt() {
        let (label, action) = match prompt.kind {
            PromptKind::Annotation => (" note: ", "send"),
            PromptKind::BaselinePath => (" baseline file: ", "load"),
        };
        let mut spans = vec![
            Span::styled(label, theme.accent()),
            Span::raw(prompt.text.clone()),
            Span::styled("▏", theme.accent()),
        ];
        if prompt.kind == PromptKind::BaselinePath {
            spans.extend(super::baseline_prompt::picker_spans(&prompt.picker, theme));
        }
        spans.push(Span::styled(
            format!("  Enter {action} · Esc cancel"),
            theme.dim(),
        ));
        let line = Line::from(spans);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    let mode = app.key_mode();
    let mut spans = vec![Span::raw(" ")];
    if let Some((hint, _)) = app.hint.as_ref().filter(|_| app.replay().is_some()) {
        spans.push(Span::styled(hint.clone(), theme.warn()));
        spans.push(Span::raw("  "));
    } else if app.replay().is_some() {
        spans.push(Span::styled("saved run", theme.accent()));
        spans.push(Span::raw("  "));
    } else if app.run_done() || app.feed_closed() {
        spans.push(Span::styled("run finished — q to quit", theme.good()));
        spans.push(Span::raw("  "));
    } else if let Some((hint, _)) = &app.hint {
        spans.push(Span::styled(hint.clone(), theme.warn()));
        spans.push(Span::raw("  "));
    }
    let mut used: usize = spans.iter().map(Span::width).sum();
    let width = usize::from(area.width);
    for (actions, text) in footer(mode) {
        let keys = Span::styled(group_keys(actions, mode), theme.key());
        let text = Span::styled(format!(" {text}"), theme.dim());
        let needed = keys.width() + text.width();
        if used + needed > width {
            continue;
        }
        used += needed + 2;
        spans.extend([keys, text, Span::raw("  ")]);
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
