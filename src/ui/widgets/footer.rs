//! The bottom line: the annotation prompt while it is open; otherwise a status
//! (run finished, a short-lived hint) followed by the keys from the key table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::ui::app::App;
use crate::ui::keymap::{FOOTER, group_keys};

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    if let Some(prompt) = &app.prompt {
        let line = Line::from(vec![
            Span::styled(" note: ", theme.accent()),
            Span::raw(prompt.text.clone()),
            Span::styled("▏", theme.accent()),
            Span::styled("  Enter send · Esc cancel", theme.dim()),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    let mut spans = vec![Span::raw(" ")];
    if app.run_done() || app.feed_closed {
        spans.push(Span::styled("run finished — q to quit", theme.good()));
        spans.push(Span::raw("  "));
    } else if let Some((hint, _)) = &app.hint {
        spans.push(Span::styled(hint.clone(), theme.warn()));
        spans.push(Span::raw("  "));
    }
    for (actions, text) in FOOTER {
        spans.push(Span::styled(group_keys(actions), theme.key()));
        spans.push(Span::styled(format!(" {text}  "), theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
