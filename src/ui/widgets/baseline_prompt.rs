//! What the `b` prompt shows after its text: the matches a second Tab listed,
//! "no match", which snapshot ↑/↓ chose, or how many there are to choose from.

use ratatui::text::Span;

use crate::ui::path_prompt::PathPicker;
use crate::ui::theme::Theme;

pub fn picker_spans(picker: &PathPicker, theme: &Theme) -> Vec<Span<'static>> {
    let text = if !picker.listed.is_empty() {
        return vec![Span::styled(
            format!("  {}", picker.listed.join("  ")),
            theme.accent(),
        )];
    } else if picker.no_match {
        return vec![Span::styled("  no match", theme.warn())];
    } else if let Some(i) = picker.chosen {
        format!("  snapshot {}/{} ↑↓", i + 1, picker.choices.len())
    } else if picker.choices.is_empty() {
        "  Tab completes".to_string()
    } else {
        format!("  ↑↓ {} recent · Tab completes", picker.choices.len())
    };
    vec![Span::styled(text, theme.dim())]
}
