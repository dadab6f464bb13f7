//! Text that fits the terminal. Tables: with a width, columns are dropped in a
//! fixed order until the table fits, and only the free-text column (an error
//! message) wraps; without one, the table keeps its natural width (files,
//! pipes, CI logs). Lines of `a · b · c` facts break between facts.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, ColumnConstraint, ContentArrangement, Table};

/// A table before it is laid out: headers, rows, and which columns go first
/// when it is too wide.
pub struct FitTable {
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
    /// Column indices, the first dropped first; the others always stay.
    pub drop_order: Vec<usize>,
    /// The free-text column, the only one that may wrap.
    pub wrap: Option<usize>,
}

impl FitTable {
    pub fn new(
        headers: Vec<&'static str>,
        drop_order: Vec<usize>,
        wrap: Option<usize>,
    ) -> FitTable {
        FitTable {
            headers,
            rows: Vec::new(),
            drop_order,
            wrap,
        }
    }

    pub fn add_row(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }

    /// The table laid out for `width` columns, or at its natural width.
    pub fn render(&self, width: Option<u16>) -> String {
        let Some(width) = width else {
            return self.build(&[], None).to_string();
        };
        let mut dropped = Vec::new();
        loop {
            let text = self.build(&dropped, Some(width)).to_string();
            let fits = text
                .lines()
                .all(|l| l.chars().count() <= usize::from(width));
            match self.drop_order.get(dropped.len()) {
                Some(next) if !fits => dropped.push(*next),
                _ => return text,
            }
        }
    }

    fn build(&self, dropped: &[usize], width: Option<u16>) -> Table {
        let keep = |i: &usize| !dropped.contains(i);
        let columns: Vec<usize> = (0..self.headers.len()).filter(keep).collect();
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_header(columns.iter().map(|&i| self.headers[i]));
        for row in &self.rows {
            table.add_row(columns.iter().filter_map(|&i| row.get(i).cloned()));
        }
        if let Some(width) = width {
            table
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(width);
            // Every column but the free text keeps its content on one line.
            for (at, i) in columns.iter().enumerate() {
                if Some(*i) != self.wrap
                    && let Some(column) = table.column_mut(at)
                {
                    column.set_constraint(ColumnConstraint::ContentWidth);
                }
            }
        }
        table
    }
}

/// `facts` joined by ` · `, broken between facts so no line is wider than
/// `width` (one line without a width).
pub fn facts_line(facts: &[String], width: Option<u16>) -> String {
    let Some(width) = width.map(usize::from) else {
        return facts.join(" · ");
    };
    let mut lines: Vec<String> = Vec::new();
    for fact in facts {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 3 + fact.chars().count() <= width => {
                line.push_str(" · ");
                line.push_str(fact);
            }
            _ => lines.push(fact.clone()),
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> FitTable {
        let mut t = FitTable::new(vec!["name", "a", "b", "message"], vec![2, 1], Some(3));
        t.add_row(vec![
            Cell::new("overall"),
            Cell::new("12345"),
            Cell::new("67890"),
            Cell::new("a long message that has to wrap somewhere to fit"),
        ]);
        t
    }

    #[test]
    fn natural_width_without_a_terminal() {
        let text = table().render(None);
        assert_eq!(text.lines().count(), 5, "{text}");
    }

    #[test]
    fn drops_columns_in_order_then_wraps_the_last() {
        let wide = table().render(Some(200));
        assert!(
            wide.contains("67890") && wide.lines().count() == 5,
            "{wide}"
        );
        let narrow = table().render(Some(28));
        assert!(narrow.lines().all(|l| l.chars().count() <= 28), "{narrow}");
        assert!(!narrow.contains("67890"), "column b goes first:\n{narrow}");
        assert!(narrow.contains("overall"), "{narrow}");
    }

    #[test]
    fn facts_break_between_facts() {
        let facts: Vec<String> = ["duration 60.0s", "6000 requests", "100.0 req/s"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            facts_line(&facts, None),
            "duration 60.0s · 6000 requests · 100.0 req/s"
        );
        assert_eq!(
            facts_line(&facts, Some(32)),
            "duration 60.0s · 6000 requests\n100.0 req/s"
        );
    }
}
