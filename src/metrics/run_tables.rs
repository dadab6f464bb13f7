//! The tables the dashboard's journeys and stages panes show: per-stage rows with
//! the recoveries after drops in load, and the journey summary (flows, checks,
//! custom metrics, personas). Built by the same functions as the end-of-run
//! summary, from the aggregator's record once a second live and once for a saved
//! run, so the panes, `open` and the summary agree.

use std::time::Duration;

use crate::metrics::dashboard::SecondRow;
use crate::metrics::journey_summary::JourneySummary;
use crate::metrics::record::RunRecord;
use crate::metrics::recovery::{RunShape, recoveries};
use crate::metrics::series::SeriesStore;
use crate::metrics::stage_summary::stage_summaries_until;
pub use crate::metrics::summary_types::RunTables;

impl RunTables {
    /// A finished or saved run: its whole length and series.
    pub fn of_record(record: &RunRecord) -> RunTables {
        RunTables::build(record, record.duration, || record.series.clone())
    }

    /// A live run at `now`, its series still in the aggregator's store (copied
    /// only when the run has been through a drop in load or has a window
    /// threshold, the times recovery reads it).
    pub fn live(record: &RunRecord, now: Duration, series: &SeriesStore) -> RunTables {
        RunTables::build(record, now, || series.rows())
    }

    fn build(
        record: &RunRecord,
        end: Duration,
        series: impl FnOnce() -> Vec<SecondRow>,
    ) -> RunTables {
        // Recoveries follow a drop in load or a failing window threshold.
        let dropped_load = (1..record.stage_starts.len().min(record.stages.len()))
            .any(|i| record.stages[i].target < record.stages[i - 1].target);
        let windowed = record.thresholds.iter().any(|t| t.window_s.is_some());
        let recoveries = if dropped_load || windowed {
            let rows = series();
            recoveries(&RunShape {
                series: &rows,
                ..record.shape()
            })
        } else {
            Vec::new()
        };
        RunTables {
            stages: stage_summaries_until(record, end),
            recoveries,
            journey: JourneySummary::from_record(record),
        }
    }
}
