//! Retention of the per-second series: rows are appended into fixed-size chunks;
//! a closed chunk becomes an `Arc<[SecondRow]>` that every later frame shares, so
//! publishing a frame copies at most one chunk whatever the run's length.
//! A row is ~150 bytes: a 24-hour soak keeps ~13 MB.

use std::sync::Arc;

use crate::metrics::dashboard::{SecondRow, Series};

/// Rows per shared chunk.
pub const CHUNK_ROWS: usize = 60;

#[derive(Debug, Default)]
pub struct SeriesStore {
    closed: Vec<Arc<[SecondRow]>>,
    open: Vec<SecondRow>,
}

impl SeriesStore {
    pub fn push(&mut self, row: SecondRow) {
        self.open.push(row);
        if self.open.len() == CHUNK_ROWS {
            let chunk: Arc<[SecondRow]> = std::mem::take(&mut self.open).into();
            self.closed.push(chunk);
        }
    }

    /// A store holding `rows` (a saved run's series, for the viewer).
    pub fn from_rows(rows: &[SecondRow]) -> SeriesStore {
        let mut store = SeriesStore::default();
        for row in rows {
            store.push(*row);
        }
        store
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        self.closed.len() * CHUNK_ROWS + self.open.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `i` (index arithmetic: every closed chunk holds [`CHUNK_ROWS`] rows).
    pub fn get(&self, i: usize) -> Option<&SecondRow> {
        match self.closed.get(i / CHUNK_ROWS) {
            Some(chunk) => chunk.get(i % CHUNK_ROWS),
            None => self.open.get(i - self.closed.len() * CHUNK_ROWS),
        }
    }

    /// A cheap, immutable view for a frame.
    pub fn view(&self) -> Series {
        self.view_prefix(self.len())
    }

    /// The first `len` rows (at most all) as a view: the closed chunks they fill are
    /// shared, only the rows of the last, partial chunk are copied. The viewer's
    /// frame at a cursor is such a prefix.
    pub fn view_prefix(&self, len: usize) -> Series {
        let len = len.min(self.len());
        let full = len / CHUNK_ROWS;
        let mut chunks = self.closed[..full].to_vec();
        let rest = len - full * CHUNK_ROWS;
        if rest > 0 {
            let partial = match self.closed.get(full) {
                Some(chunk) => &chunk[..rest],
                None => &self.open[..rest],
            };
            chunks.push(partial.into());
        }
        Series { chunks }
    }

    /// Every row, for the run record.
    pub fn rows(&self) -> Vec<SecondRow> {
        self.closed
            .iter()
            .flat_map(|c| c.iter().copied())
            .chain(self.open.iter().copied())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_share_closed_chunks() {
        let mut store = SeriesStore::default();
        for t in 0..130 {
            store.push(SecondRow {
                t_s: t,
                ..SecondRow::default()
            });
        }
        let a = store.view();
        let b = store.view();
        assert_eq!(a.len(), 130);
        assert_eq!(a.chunks.len(), 3);
        assert!(Arc::ptr_eq(&a.chunks[0], &b.chunks[0]));
        assert_eq!(a.last().unwrap().t_s, 129);
        assert_eq!(a.since(125).count(), 5);
        assert_eq!(store.rows().len(), 130);
    }

    #[test]
    fn prefixes_share_closed_chunks_and_copy_the_rest() {
        let rows: Vec<SecondRow> = (0..130)
            .map(|t| SecondRow {
                t_s: t,
                ..SecondRow::default()
            })
            .collect();
        let store = SeriesStore::from_rows(&rows);
        assert_eq!(store.len(), 130);
        assert_eq!(store.get(59).unwrap().t_s, 59);
        assert_eq!(store.get(60).unwrap().t_s, 60);
        assert_eq!(store.get(129).unwrap().t_s, 129);
        assert!(store.get(130).is_none());
        let whole = store.view();
        for len in [0, 1, 59, 60, 61, 119, 120, 121, 130, 500] {
            let prefix = store.view_prefix(len);
            let want: Vec<u32> = rows.iter().take(len).map(|r| r.t_s).collect();
            assert_eq!(prefix.iter().map(|r| r.t_s).collect::<Vec<_>>(), want);
            for (a, b) in prefix.chunks.iter().zip(&whole.chunks) {
                if a.len() == CHUNK_ROWS && b.len() == CHUNK_ROWS {
                    assert!(Arc::ptr_eq(a, b), "closed chunks are shared");
                }
            }
        }
    }

    #[test]
    fn since_finds_the_first_row_and_keeps_order() {
        let store = SeriesStore::from_rows(
            &(0..130)
                .map(|t| SecondRow {
                    t_s: t,
                    ..SecondRow::default()
                })
                .collect::<Vec<_>>(),
        );
        let view = store.view();
        for from in [0, 1, 59, 60, 61, 120, 129, 130, 1000] {
            let got: Vec<u32> = view.since(from).map(|r| r.t_s).collect();
            let want: Vec<u32> = (from.min(130)..130).collect();
            assert_eq!(got, want, "since {from}");
        }
        assert_eq!(Series::default().since(3).count(), 0);
    }
}
