//! Where each pane goes, as a pure function of the terminal size and the zoom.
//! `view` draws into these rectangles and `App` maps mouse clicks through the same
//! function, so a click always lands on the pane that is drawn there.

use ratatui::layout::{Constraint, Layout, Rect};

/// Smallest terminal the dashboard draws into; below it a "too small" message.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;
/// From this size on every pane is shown at once.
const FULL_WIDTH: u16 = 120;
const FULL_HEIGHT: u16 = 36;
/// Below the full size, the memory pane needs this many columns (it is left
/// out first: requests matter more at 80×24).
const MEMORY_WIDTH: u16 = 100;

/// A dashboard pane (zoomable with Tab or a click).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Latency,
    Throughput,
    Errors,
    Requests,
    Memory,
    Thresholds,
    Log,
}

impl Pane {
    /// Tab order.
    pub const ALL: [Pane; 7] = [
        Pane::Latency,
        Pane::Throughput,
        Pane::Errors,
        Pane::Requests,
        Pane::Memory,
        Pane::Thresholds,
        Pane::Log,
    ];

    /// The pane after this one in Tab order; `None` after the last.
    pub fn next(self) -> Option<Pane> {
        let i = Pane::ALL.iter().position(|p| *p == self)?;
        Pane::ALL.get(i + 1).copied()
    }
}

/// The rectangles of one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    pub header: Rect,
    pub panes: Vec<(Pane, Rect)>,
    pub footer: Rect,
}

/// Lays out `area` under a header of `header_rows` lines; `None` when it is
/// smaller than [`MIN_WIDTH`]×[`MIN_HEIGHT`].
pub fn screen(area: Rect, zoom: Option<Pane>, header_rows: u16) -> Option<Screen> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(header_rows),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let panes = match zoom {
        Some(pane) => vec![(pane, body)],
        None if area.width >= FULL_WIDTH && area.height >= FULL_HEIGHT => full(body),
        None => compact(body),
    };
    Some(Screen {
        header,
        panes,
        footer,
    })
}

/// Every pane: charts on top, tables in the middle, memory/thresholds/log below.
fn full(body: Rect) -> Vec<(Pane, Rect)> {
    let [charts, tables, bottom] = Layout::vertical([
        Constraint::Percentage(40),
        Constraint::Percentage(28),
        Constraint::Fill(1),
    ])
    .areas(body);
    let [latency, throughput] = halves(charts);
    let [errors, requests] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Fill(1)]).areas(tables);
    let [memory, thresholds, log] = Layout::horizontal([
        Constraint::Percentage(34),
        Constraint::Percentage(28),
        Constraint::Fill(1),
    ])
    .areas(bottom);
    vec![
        (Pane::Latency, latency),
        (Pane::Throughput, throughput),
        (Pane::Errors, errors),
        (Pane::Requests, requests),
        (Pane::Memory, memory),
        (Pane::Thresholds, thresholds),
        (Pane::Log, log),
    ]
}

/// Small terminals (80×24): panes by priority. Charts first, then the error
/// classes and the table pane (requests, journeys, stages), then thresholds and
/// events; memory, the least read, only from [`MEMORY_WIDTH`] columns on (Tab
/// still zooms it).
fn compact(body: Rect) -> Vec<(Pane, Rect)> {
    let [charts, tables, bottom] = Layout::vertical([
        Constraint::Percentage(40),
        Constraint::Fill(1),
        Constraint::Percentage(30),
    ])
    .areas(body);
    let [latency, throughput] = halves(charts);
    let [errors, requests] = halves(tables);
    let mut panes = vec![
        (Pane::Latency, latency),
        (Pane::Throughput, throughput),
        (Pane::Errors, errors),
        (Pane::Requests, requests),
    ];
    if body.width >= MEMORY_WIDTH {
        let [memory, thresholds, log] = Layout::horizontal([
            Constraint::Percentage(30),
            Constraint::Percentage(30),
            Constraint::Fill(1),
        ])
        .areas(bottom);
        panes.extend([
            (Pane::Memory, memory),
            (Pane::Thresholds, thresholds),
            (Pane::Log, log),
        ]);
    } else {
        let [thresholds, log] = halves(bottom);
        panes.extend([(Pane::Thresholds, thresholds), (Pane::Log, log)]);
    }
    panes
}

fn halves(area: Rect) -> [Rect; 2] {
    Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).areas(area)
}

/// The pane drawn at a terminal cell in the un-zoomed layout.
pub fn pane_at(area: Rect, header_rows: u16, column: u16, row: u16) -> Option<Pane> {
    let screen = screen(area, None, header_rows)?;
    screen
        .panes
        .into_iter()
        .find(|(_, rect)| rect.contains(ratatui::layout::Position::new(column, row)))
        .map(|(pane, _)| pane)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_small_is_none() {
        assert!(screen(Rect::new(0, 0, 59, 24), None, 2).is_none());
        assert!(screen(Rect::new(0, 0, 80, 15), None, 2).is_none());
        assert!(screen(Rect::new(0, 0, 80, 24), None, 2).is_some());
    }

    #[test]
    fn compact_and_full_layouts() {
        let small = screen(Rect::new(0, 0, 80, 24), None, 2).unwrap();
        assert_eq!(small.panes.len(), 6);
        let shown: Vec<Pane> = small.panes.iter().map(|(p, _)| *p).collect();
        assert!(shown.contains(&Pane::Requests), "{shown:?}");
        assert!(!shown.contains(&Pane::Memory), "{shown:?}");
        let wider = screen(Rect::new(0, 0, 110, 30), None, 2).unwrap();
        assert_eq!(wider.panes.len(), 7);
        let big = screen(Rect::new(0, 0, 160, 48), None, 3).unwrap();
        assert_eq!(big.panes.len(), 7);
        let tiny = screen(Rect::new(0, 0, MIN_WIDTH, MIN_HEIGHT), None, 2).unwrap();
        for (_, rect) in big.panes.iter().chain(&small.panes).chain(&tiny.panes) {
            assert!(rect.width >= 10 && rect.height >= 3, "{rect:?}");
        }
    }

    #[test]
    fn zoom_fills_the_body() {
        let s = screen(Rect::new(0, 0, 80, 24), Some(Pane::Requests), 2).unwrap();
        assert_eq!(s.panes, vec![(Pane::Requests, Rect::new(0, 2, 80, 21))]);
    }
}
