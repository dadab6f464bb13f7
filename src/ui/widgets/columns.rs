//! A table that fits its pane: the first column holds names (left-aligned, takes
//! the room left over), the others figures (right-aligned, fixed widths). When
//! every column does not fit, columns are kept in the `priority` order while
//! they fit, so a pane at 80×24 drops whole columns instead of squeezing figures
//! (a squeezed right-aligned `12.0ms` would read `2.0ms`).

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Cell, Row, Table};

/// Narrowest the name column gets before figures are dropped.
const NAME_MIN: u16 = 10;

/// A column: its header and width (the first, the name column, ignores it).
pub struct Column {
    pub title: &'static str,
    pub width: u16,
}

/// One row's texts (one per column) and style.
pub struct TableRow {
    pub cells: Vec<String>,
    pub style: Style,
    /// Cells styled apart from the row: (column index, style).
    pub cell_styles: Vec<(usize, Style)>,
}

impl TableRow {
    pub fn new(cells: Vec<String>, style: Style) -> TableRow {
        TableRow {
            cells,
            style,
            cell_styles: Vec::new(),
        }
    }
}

/// How the table is laid out.
pub struct Fit<'a> {
    pub columns: &'a [Column],
    /// Column indices, most wanted first (the name column first): when all do
    /// not fit, the longest run of these that fits is shown, in column order.
    pub priority: &'a [usize],
    /// When rows overflow, keep the last ones (a live table's newest) instead
    /// of the first.
    pub keep_last: bool,
    pub header_style: Style,
}

/// The columns shown in a pane `inner_width` wide.
pub fn shown(fit: &Fit<'_>, inner_width: u16) -> Vec<usize> {
    let mut room = inner_width.saturating_sub(NAME_MIN);
    let mut cols = vec![0];
    for &i in fit.priority.iter().filter(|&&i| i != 0) {
        let needed = fit.columns[i].width + 1;
        if needed > room {
            break;
        }
        room -= needed;
        cols.push(i);
    }
    cols.sort_unstable();
    cols
}

/// Draws `rows` into `area` inside `block`.
pub fn render(frame: &mut Frame, area: Rect, block: Block<'_>, fit: &Fit<'_>, rows: Vec<TableRow>) {
    let inner = block.inner(area);
    let cols = shown(fit, inner.width);
    let cell = |i: usize, text: String| {
        if i == 0 {
            Cell::from(text)
        } else {
            Cell::from(Line::from(text).right_aligned())
        }
    };
    let room = usize::from(inner.height.saturating_sub(1));
    let skip = if fit.keep_last {
        rows.len().saturating_sub(room)
    } else {
        0
    };
    let body = rows.into_iter().skip(skip).map(|r| {
        let mut cells: Vec<Option<String>> = r.cells.into_iter().map(Some).collect();
        Row::new(cols.iter().map(|&i| {
            let text = cells.get_mut(i).and_then(Option::take).unwrap_or_default();
            match r.cell_styles.iter().find(|(c, _)| *c == i) {
                Some((_, style)) => cell(i, text).style(*style),
                None => cell(i, text),
            }
        }))
        .style(r.style)
    });
    let header = Row::new(
        cols.iter()
            .map(|&i| cell(i, fit.columns[i].title.to_string())),
    )
    .style(fit.header_style);
    let widths = cols.iter().map(|&i| match i {
        0 => Constraint::Min(NAME_MIN),
        _ => Constraint::Length(fit.columns[i].width),
    });
    frame.render_widget(Table::new(body, widths).header(header).block(block), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: [Column; 4] = [
        Column {
            title: "name",
            width: 0,
        },
        Column {
            title: "a",
            width: 6,
        },
        Column {
            title: "b",
            width: 7,
        },
        Column {
            title: "c",
            width: 7,
        },
    ];

    #[test]
    fn columns_drop_by_priority_and_keep_their_order() {
        let fit = Fit {
            columns: &COLS,
            priority: &[0, 3, 1, 2],
            keep_last: false,
            header_style: Style::default(),
        };
        assert_eq!(shown(&fit, 40), vec![0, 1, 2, 3]);
        assert_eq!(shown(&fit, 30), vec![0, 1, 3]);
        assert_eq!(shown(&fit, 20), vec![0, 3]);
        assert_eq!(shown(&fit, 12), vec![0]);
    }
}
