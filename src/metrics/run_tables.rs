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
        RunTables::build(record, record.duration, || record.series.clone(), None)
    }

    /// A live run at `now`, its series still in the aggregator's store (copied
    /// only when the run has been through a drop in load or has a window
    /// threshold, the times recovery reads it). `breaches`: per threshold, each
    /// closed second's window breach as the aggregator's trackers judged it.
    pub fn live(
        record: &RunRecord,
        now: Duration,
        series: &SeriesStore,
        breaches: &[Vec<Option<bool>>],
    ) -> RunTables {
        RunTables::build(record, now, || series.rows(), Some(breaches))
    }

    fn build(
        record: &RunRecord,
        end: Duration,
        series: impl FnOnce() -> Vec<SecondRow>,
        breaches: Option<&[Vec<Option<bool>>]>,
    ) -> RunTables {
        // Recoveries follow a drop in load or a failing window threshold.
        let dropped_load = (1..record.stage_starts.len().min(record.stages.len()))
            .any(|i| record.stages[i].target < record.stages[i - 1].target);
        let windowed = record.thresholds.iter().any(|t| t.window_s.is_some());
        let recoveries = if dropped_load || windowed {
            let rows = series();
            recoveries(&RunShape {
                series: &rows,
                breaches,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::journey::{FlowSample, JourneyConfig, JourneyCounts, JourneyStats};
    use crate::metrics::scope::ScopeStats;
    use crate::outcome::OutcomeClass;
    use crate::plan::Stage;

    fn record() -> RunRecord {
        let mut journey = JourneyStats::new(JourneyConfig {
            flows: vec!["job".into()],
            ..JourneyConfig::default()
        });
        let mut counts = JourneyCounts::default();
        for ms in 1..=100u32 {
            counts.flows.push(FlowSample {
                flow: 0,
                latency_us: ms * 1000,
                class: OutcomeClass::Ok,
            });
        }
        journey.fold(&counts);
        let mut open = ScopeStats::default();
        open.add_arrivals(50, &[7, 0]);
        RunRecord {
            duration: Duration::from_secs(4),
            per_stage: vec![ScopeStats::default(), open],
            stage_starts: vec![Duration::ZERO, Duration::from_secs(2)],
            stage_names: vec![Some("warm-up".into()), Some("peak".into())],
            stages: vec![
                Stage {
                    duration: Duration::from_secs(2),
                    target: 10,
                },
                Stage {
                    duration: Duration::from_secs(2),
                    target: 50,
                },
            ],
            journey,
            ..RunRecord::empty("p", "http://127.0.0.1:1")
        }
    }

    #[test]
    fn rows_carry_flow_p99_and_stage_drops_live_and_saved_alike() {
        let rec = record();
        let saved = RunTables::of_record(&rec);
        let flow = &saved.journey.as_ref().unwrap().flows[0];
        assert!((98.0..=100.0).contains(&flow.p99_ms), "{flow:?}");
        assert_eq!(saved.stages[1].dropped, 7);
        let json = serde_json::to_value(&saved.stages[1]).unwrap();
        assert_eq!(json["dropped"], 7);
        let flow_json = serde_json::to_value(flow).unwrap();
        assert!(flow_json["p99_ms"].as_f64().unwrap() >= 98.0);
        // No drop in load and no window threshold: no series is read.
        assert!(saved.recoveries.is_empty());
        let live = RunTables::live(&rec, Duration::from_secs(4), &SeriesStore::default(), &[]);
        assert_eq!(live, saved);
    }
}
