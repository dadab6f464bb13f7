//! The event log: the newest entries from the frame merged with UI-only lines,
//! coloured by kind. A narrow pane (80×24) keeps each entry's time but drops the
//! kind's tag (the colour stays) and says messages in shorter words
//! ([`abbreviate`]); a line still too long is cut at a word. Zoomed, entries
//! wrap in full.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::format;
use crate::metrics::dashboard::{LogEntry, LogKind};
use crate::ui::state::App;

use super::{pane_block, title};

/// From this inner width on, each line shows the kind's tag.
const TAGGED_WIDTH: u16 = 56;
/// Shorter words for the long parts of event messages, applied in order when a
/// line does not fit.
const SHORTER: &[(&str, &str)] = &[
    ("threshold ", ""),
    (" failed (now ", " ✗ ("),
    (" recovered (now ", " ✓ ("),
    ("check failed: ", "✗ check "),
    ("run started: stages ", "start "),
    ("stopping: ", "stop: "),
    (": to ", " → "),
    (": hold ", " hold "),
    (" over ", " in "),
    ("first ", "1st "),
    (" error: ", ": "),
    ("no complete response", "no response"),
    ("connection", "conn"),
    ("connecting", "conn"),
    ("requests", "reqs"),
    ("graceful stop", "stop"),
    ("in-flight", "open"),
];

fn tag(kind: LogKind) -> &'static str {
    match kind {
        LogKind::Stage => "stage",
        LogKind::Operator => "you",
        LogKind::Annotation => "note",
        LogKind::ThresholdBreach => "breach",
        LogKind::ThresholdRecovered => "ok",
        LogKind::FirstError => "error",
        LogKind::Alert => "alert",
        LogKind::Info => "info",
    }
}

/// `text` in at most `width` characters: as it is when it fits (or in the
/// [`SHORTER`] words when `short` asks for them, as narrow panes do for every
/// line alike), else in the shorter words, then cut after the last whole word
/// that fits, marked `…`.
pub fn abbreviate(text: &str, width: usize, short: bool) -> String {
    if !short && text.chars().count() <= width {
        return text.to_string();
    }
    let mut shorter = text.to_string();
    for (long, word) in SHORTER {
        shorter = shorter.replace(long, word);
    }
    if shorter.chars().count() <= width {
        return shorter;
    }
    let room = width.saturating_sub(1);
    let cut: String = shorter.chars().take(room).collect();
    // Cut at a word when one ends in the last half of the room; else mid-word.
    let at_word = cut
        .rfind(' ')
        .filter(|&i| cut[..i].chars().count() >= room / 2);
    let kept = at_word.map_or(cut.as_str(), |i| cut[..i].trim_end());
    format!("{kept}…")
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, zoomed: bool) {
    let theme = &app.theme;
    let block = pane_block(Line::from(title("Events", theme)), theme, zoomed);
    let inner = block.inner(area);
    let rows = usize::from(inner.height);
    let mut entries: Vec<&LogEntry> = app.dashboard.log.iter().chain(app.local_log()).collect();
    entries.sort_by_key(|e| e.at);
    let start = entries.len().saturating_sub(rows);
    let tagged = inner.width >= TAGGED_WIDTH;
    let lines: Vec<Line> = entries[start..]
        .iter()
        .map(|e| {
            let time = Span::styled(format!("{} ", format::clock(e.at)), theme.dim());
            if zoomed {
                return Line::from(vec![
                    time,
                    Span::styled(format!("{:<6} ", tag(e.kind)), theme.log_kind(e.kind)),
                    Span::raw(e.text.clone()),
                ]);
            }
            let mut spans = vec![time];
            let used = if tagged {
                spans.push(Span::styled(
                    format!("{:<6} ", tag(e.kind)),
                    theme.log_kind(e.kind),
                ));
                13
            } else {
                6
            };
            let room = usize::from(inner.width).saturating_sub(used);
            let text = abbreviate(&e.text, room, !tagged);
            spans.push(if tagged {
                Span::raw(text)
            } else {
                Span::styled(text, theme.log_kind(e.kind))
            });
            Line::from(spans)
        })
        .collect();
    let mut paragraph = Paragraph::new(lines).block(block);
    if zoomed {
        paragraph = paragraph.wrap(Wrap { trim: false });
    }
    frame.render_widget(paragraph, area);
}

#[cfg(test)]
mod tests {
    use super::abbreviate;

    #[test]
    fn long_messages_say_it_shorter_then_cut_at_a_word() {
        assert_eq!(abbreviate("hold", 30, false), "hold");
        assert_eq!(
            abbreviate("threshold error_rate < 1% failed (now 11%)", 30, false),
            "error_rate < 1% ✗ (11%)"
        );
        assert_eq!(
            abbreviate("stage 2/5: to 60 VUs over 20s", 25, false),
            "stage 2/5 → 60 VUs in 20s"
        );
        assert_eq!(
            abbreviate("first timeout error: slow: no complete response", 30, false),
            "1st timeout: slow: no response"
        );
        let cut = abbreviate(
            "first connect error: refused: connecting to 127.0.0.1:1",
            25,
            false,
        );
        assert_eq!(cut, "1st connect: refused:…");
        assert!(cut.chars().count() <= 25);
    }

    #[test]
    fn narrow_panes_use_the_short_words_on_every_line() {
        let text = "first 5xx error: flaky: HTTP 503";
        assert_eq!(abbreviate(text, 40, false), text);
        assert_eq!(abbreviate(text, 40, true), "1st 5xx: flaky: HTTP 503");
    }
}
