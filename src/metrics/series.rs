//! Retention of the per-second series: rows are appended into fixed-size chunks;
//! a closed chunk becomes an `Arc<[SecondRow]>` that every later frame shares, so
//! publishing a frame copies at most one chunk whatever the run's length.
//! A row is ~150 bytes: a 24-hour soak keeps ~13 MB.

use std::sync::Arc;

use crate::metrics::dashboard::{SecondRow, Series};

/// Rows per shared chunk.
const CHUNK_ROWS: usize = 60;

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

    /// A cheap, immutable view for a frame.
    pub fn view(&self) -> Series {
        let mut chunks = self.closed.clone();
        if !self.open.is_empty() {
            chunks.push(self.open.as_slice().into());
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
}
