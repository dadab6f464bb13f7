//! The event log: the newest entries from the frame merged with UI-only lines,
//! coloured by kind.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::format;
use crate::metrics::dashboard::{LogEntry, LogKind};
use crate::ui::state::App;

use super::{pane_block, title};

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

pub fn render(frame: &mut Frame, area: Rect, app: &App, zoomed: bool) {
    let theme = &app.theme;
    let block = pane_block(Line::from(title("Events", theme)), theme, zoomed);
    let rows = usize::from(area.height.saturating_sub(2));
    let mut entries: Vec<&LogEntry> = app.dashboard.log.iter().chain(app.local_log()).collect();
    entries.sort_by_key(|e| e.at);
    let start = entries.len().saturating_sub(rows);
    let lines: Vec<Line> = entries[start..]
        .iter()
        .map(|e| {
            Line::from(vec![
                Span::styled(format!("{} ", format::clock(e.at)), theme.dim()),
                Span::styled(format!("{:<6} ", tag(e.kind)), theme.log_kind(e.kind)),
                Span::raw(e.text.clone()),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
