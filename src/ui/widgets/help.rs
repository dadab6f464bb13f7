//! The `?` overlay, generated from the key table.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use crate::ui::keymap::{KeyMode, PROMPT_BINDINGS, bindings};
use crate::ui::state::App;

use super::{pane_block, title};

/// Width of the keys column.
const KEYS_WIDTH: usize = 10;

/// One row: the keys, then what they do.
type Row = (String, &'static str);

fn line<'a>((keys, help): &Row, app: &App) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{keys:>KEYS_WIDTH$}  "), app.theme.key()),
        Span::raw(*help),
    ])
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let mut shown: Vec<Row> = bindings(app.key_mode())
        .map(|b| (b.keys_label(), b.help))
        .collect();
    // The prompts (`m`, `b`) open on the live dashboard only.
    if app.key_mode() == KeyMode::Live {
        shown.extend(PROMPT_BINDINGS.iter().map(|b| (b.key.label(), b.help)));
    }
    let rows = shown.len() as u16;
    // One column when it fits, else two.
    let two_columns = rows + 2 > area.height;
    let (width, height) = if two_columns {
        (area.width.min(110), rows.div_ceil(2) + 2)
    } else {
        (area.width.min(64), rows + 2)
    };
    let [overlay] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(area);
    let [overlay] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(overlay);
    frame.render_widget(Clear, overlay);
    let block = pane_block(
        Line::from(vec![
            title("Keys", &app.theme),
            Span::styled("Esc or ? closes ", app.theme.dim()),
        ]),
        &app.theme,
        false,
    );
    let inner = block.inner(overlay);
    frame.render_widget(block, overlay);
    if two_columns {
        let half = shown.len().div_ceil(2);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).areas(inner);
        let col =
            |rows: &[Row]| Paragraph::new(rows.iter().map(|r| line(r, app)).collect::<Vec<_>>());
        frame.render_widget(col(&shown[..half]), left);
        frame.render_widget(col(&shown[half..]), right);
    } else {
        let lines: Vec<Line> = shown.iter().map(|b| line(b, app)).collect();
        frame.render_widget(Paragraph::new(lines), inner);
    }
}
