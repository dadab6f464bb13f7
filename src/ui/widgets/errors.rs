//! One row per error class: count, rate, share, a trend sparkline and the last
//! message. Classes quiet in the last second are dim; a class that first
//! appeared within the last [`NEW_WITHIN_S`] seconds is highlighted.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

use crate::format;
use crate::metrics::dashboard::ClassStat;
use crate::ui::state::App;
use crate::ui::theme::Theme;

use super::{pane_block, placeholder, title};

/// A class whose trend has been non-zero only within this many seconds is "new".
pub const NEW_WITHIN_S: usize = 10;

/// Whether the class appeared within the last [`NEW_WITHIN_S`] seconds of its
/// trend. (Derived from the trend; the frame carries no first-seen time.)
pub fn is_new(stat: &ClassStat) -> bool {
    stat.trend
        .iter()
        .position(|&c| c > 0)
        .is_some_and(|first| stat.trend.len() - first <= NEW_WITHIN_S)
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, zoomed: bool) {
    let d = &app.dashboard;
    let theme = &app.theme;
    let heading = Line::from(vec![
        title("Errors", theme),
        Span::styled(
            format!(
                "{} of {} · {} ",
                format::count(d.errors() as f64),
                format::count(d.requests as f64),
                format::pct(d.error_rate())
            ),
            theme.dim(),
        ),
    ]);
    let block = pane_block(heading, theme, zoomed);
    let classes: Vec<&ClassStat> = d.error_classes.iter().filter(|c| c.count > 0).collect();
    if classes.is_empty() {
        placeholder(frame, area, block, "no errors so far", theme.dim());
        return;
    }
    let columns = Columns::fit(usize::from(area.width.saturating_sub(2)));
    let rows = classes.iter().map(|c| class_row(c, columns, theme));
    let (header, widths) = columns.header();
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.dim()))
        .block(block);
    frame.render_widget(table, area);
}

/// Which optional columns fit, and how wide the trend is.
#[derive(Debug, Clone, Copy)]
struct Columns {
    with_message: bool,
    with_share: bool,
    trend_width: usize,
}

impl Columns {
    /// Narrow panes drop the last message (then the share); the trend takes what is left.
    fn fit(inner: usize) -> Columns {
        let with_message = inner >= 60;
        let with_share = inner >= 50;
        // class, count, rate (+ share), with one space between columns.
        let fixed = if with_share {
            11 + 7 + 7 + 6 + 4
        } else {
            11 + 7 + 7 + 3
        };
        let trend_width = if with_message {
            (inner / 5).clamp(8, 30)
        } else {
            inner.saturating_sub(fixed + 1).clamp(4, 60)
        };
        Columns {
            with_message,
            with_share,
            trend_width,
        }
    }

    fn header(self) -> (Vec<Cell<'static>>, Vec<Constraint>) {
        let mut header = vec![
            Cell::from("class"),
            right("count".into()),
            right("rate".into()),
        ];
        let mut widths = vec![
            Constraint::Length(12),
            Constraint::Length(7),
            Constraint::Length(7),
        ];
        if self.with_share {
            header.push(right("share".into()));
            widths.push(Constraint::Length(6));
        }
        header.push(Cell::from("trend"));
        widths.push(Constraint::Length(self.trend_width as u16));
        if self.with_message {
            header.push(Cell::from("last message"));
            widths.push(Constraint::Fill(1));
        }
        (header, widths)
    }
}

fn right(text: String) -> Cell<'static> {
    Cell::from(Line::from(text).right_aligned())
}

/// One class: new ones highlighted, quiet ones dim.
fn class_row<'a>(c: &'a ClassStat, columns: Columns, theme: &Theme) -> Row<'a> {
    let quiet = c.per_sec == 0;
    let new = is_new(c);
    let label_style = if new {
        theme.highlight()
    } else if quiet {
        theme.dim()
    } else {
        theme.bad()
    };
    let mut label = vec![Span::styled(c.class.label(), label_style)];
    if new {
        label.push(Span::styled(" new", theme.highlight()));
    }
    let mut cells = vec![
        Cell::from(Line::from(label)),
        right(format::count(c.count as f64)),
        right(format!("{}/s", format::count(c.per_sec as f64))),
    ];
    if columns.with_share {
        cells.push(right(format::pct(c.share)));
    }
    cells.push(Cell::from(format::sparkline(&c.trend, columns.trend_width)));
    if columns.with_message {
        cells.push(Cell::from(c.last_message.clone().unwrap_or_default()));
    }
    let row = Row::new(cells);
    if quiet && !new {
        row.style(theme.dim())
    } else {
        row
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::OutcomeClass;

    fn stat(trend: Vec<u64>) -> ClassStat {
        ClassStat {
            class: OutcomeClass::Timeout,
            count: trend.iter().sum(),
            per_sec: *trend.last().unwrap_or(&0),
            share: 0.0,
            trend,
            by_status: Vec::new(),
            last_message: None,
        }
    }

    #[test]
    fn new_means_recently_first_seen() {
        let mut trend = vec![0; 50];
        trend.extend([1, 2, 3]);
        assert!(is_new(&stat(trend)));
        let mut old = vec![1; 30];
        old.extend([0; 30]);
        assert!(!is_new(&stat(old)));
        assert!(!is_new(&stat(vec![0; 60])));
    }
}
