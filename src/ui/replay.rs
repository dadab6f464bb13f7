//! A saved run as the dashboard sees it: [`Replay`] turns a [`RunRecord`] into
//! [`Dashboard`] frames at a time cursor, so `loadpilot open` draws with the very
//! widgets of the live dashboard.
//!
//! What a frame at cursor second `c` holds:
//! - the series up to and including row `c` (closed chunks shared, as live);
//!   the frame itself comes from the live dashboard's builder
//!   ([`crate::metrics::frame`]), with its sparkline length and log tail;
//! - totals (requests, classes, bytes, peak rate) summed from the rows `0..=c`;
//! - latency percentiles and the rate of second `c`, from its row;
//! - the charts' window latency: the whole saved run, and each window ending at
//!   `c` that is shorter than the run merged from the saved seconds' histograms;
//! - error classes counted from the rows, with status codes and last message
//!   from the record (the file keeps them for the whole run only);
//! - per-request stats and threshold verdicts over the whole saved run (the file
//!   keeps no per-second per-request data);
//! - the event log up to the end of second `c`; mode DONE (the header says VIEW);
//! - the per-stage rows, recoveries and journeys over the whole saved run.
//!
//! Frames are built in `App::update` when the cursor moves, never in `view`.

use std::sync::Arc;
use std::time::Duration;

use crate::metrics::aggregator::RunRecord;
use crate::metrics::chart_latency::windows_ending_at;
use crate::metrics::dashboard::{
    CHART_WINDOWS_S, Dashboard, LogEntry, Percentiles, RequestStat, RunMode, SecondRow, Series,
    StageStatus, SystemStatus, ThresholdStatus, WindowLatency,
};
use crate::metrics::frame::{self, FrameInput, FrameTotals};
use crate::metrics::record::StatusCounts;
use crate::metrics::run_tables::RunTables;
use crate::metrics::series::SeriesStore;
use crate::threshold::{Stat, Threshold, latency_limits};
use crate::vocab::EngineStatus;

/// Everything a saved run shows, prepared once when the file is opened.
#[derive(Debug)]
pub struct Replay {
    profile_name: String,
    target: String,
    duration: Duration,
    /// The saved series in the live store's chunks, shared by every frame.
    series: SeriesStore,
    log: Vec<LogEntry>,
    request_stats: Vec<RequestStat>,
    /// Per class index: status codes seen and the last message (whole run).
    by_status: Vec<StatusCounts>,
    last_message: Vec<Option<String>>,
    thresholds: Vec<Threshold>,
    threshold_status: Vec<ThresholdStatus>,
    model: crate::plan::LoadModel,
    latency_basis: crate::vocab::LatencyBasis,
    /// The stages and journeys panes' rows over the whole saved run.
    tables: Arc<RunTables>,
    /// Whole-run latency (and service time) of the saved run.
    run_latency: Percentiles,
    run_service: Option<Percentiles>,
    /// The saved seconds' encoded histograms, for the charts' windows.
    second_histograms: Vec<Vec<u8>>,
}

impl Replay {
    pub fn from_record(record: &RunRecord) -> Replay {
        let secs = record.duration.as_secs_f64();
        let request_stats = record
            .request_names
            .iter()
            .zip(&record.per_request)
            .map(|(name, stats)| {
                frame::request_stat(name, stats, stats.stat(Stat::Rps, secs), None)
            })
            .collect();
        let threshold_status = record
            .thresholds
            .iter()
            .map(|t| {
                let value = record.threshold_value(t);
                // The file has no 30 s window; both badges show the whole run.
                frame::threshold_status(t, t.verdict(value), value, value)
            })
            .collect();
        Replay {
            profile_name: record.profile_name.clone(),
            target: record.target.clone(),
            duration: record.duration,
            series: SeriesStore::from_rows(&record.series),
            log: record.log.clone(),
            request_stats,
            by_status: record.by_status.clone(),
            last_message: record.last_message.clone(),
            thresholds: record.thresholds.clone(),
            threshold_status,
            model: record.model(),
            latency_basis: record.latency,
            tables: Arc::new(RunTables::of_record(record)),
            run_latency: record.overall.percentiles(),
            run_service: record.overall.service_percentiles(),
            second_histograms: record.second_histograms.clone(),
        }
    }

    /// Seconds in the saved series (cursor positions are `0..len()`).
    pub fn len(&self) -> usize {
        self.series.len()
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// The second after the last saved one (the chart's whole-run x range).
    pub fn end_s(&self) -> u32 {
        self.len()
            .checked_sub(1)
            .and_then(|i| self.series.get(i))
            .map_or(0, |r| r.t_s + 1)
    }

    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// The run time (seconds) of cursor position `cursor`.
    pub fn time_s(&self, cursor: usize) -> u32 {
        self.series
            .get(cursor.min(self.len().saturating_sub(1)))
            .map_or(0, |r| r.t_s)
    }

    /// The frame at cursor position `cursor` (clamped to the last second).
    pub fn frame_at(&self, cursor: usize) -> Dashboard {
        let Some(last) = self.len().checked_sub(1) else {
            return self.empty_frame();
        };
        let series = self.series.view_prefix(cursor.min(last) + 1);
        let row = *series.last().expect("a prefix of a non-empty series");
        let elapsed = Duration::from_secs(u64::from(row.t_s) + 1);
        frame::build(FrameInput {
            profile_name: &self.profile_name,
            target: &self.target,
            elapsed,
            engine: EngineStatus {
                vus_active: row.vus,
                vus_target: row.target_vus,
                mode: RunMode::Done,
                stage: StageStatus::default(),
                planned: Some(self.duration),
                model: self.model,
            },
            memory: memory_of(&row),
            totals: totals_of(&series, &row),
            window_latency: self.window_latency(cursor.min(last)),
            series,
            by_status: &self.by_status,
            last_message: &self.last_message,
            request_stats: self.request_stats.clone(),
            thresholds: &self.thresholds,
            threshold_status: self.threshold_status.clone(),
            log: frame::log_tail(self.log.iter().filter(|e| e.at < elapsed)),
            latency_basis: self.latency_basis,
            tables: self.tables.clone(),
        })
    }

    /// The charts' window latency at cursor position `cursor`. A window at least
    /// as long as the run shows the whole run (the chart fits the run), so only
    /// shorter windows are merged, in one pass over at most 900 seconds, once per
    /// cursor move.
    fn window_latency(&self, cursor: usize) -> WindowLatency {
        let run_s = self.duration.as_secs_f64().ceil() as u32;
        let wanted = CHART_WINDOWS_S.map(|w| run_s > w);
        let merged = windows_ending_at(&self.second_histograms, cursor, wanted);
        WindowLatency {
            run: self.run_latency,
            run_service: self.run_service,
            last: merged.map(|p| p.unwrap_or(self.run_latency)),
        }
    }

    /// A run with no closed second: the whole-run figures and the log, nothing else.
    fn empty_frame(&self) -> Dashboard {
        let mut d = Dashboard::empty(&self.profile_name, &self.target);
        d.mode = RunMode::Done;
        d.planned = Some(self.duration);
        d.elapsed = self.duration;
        d.request_stats = self.request_stats.clone();
        d.thresholds = self.threshold_status.clone();
        d.latency_limits_ms = latency_limits(&self.thresholds);
        d.window_latency.run = self.run_latency;
        d.window_latency.run_service = self.run_service;
        d.log = frame::log_tail(self.log.iter());
        d.tables = self.tables.clone();
        d
    }
}

/// Memory as sampled in the cursor's second (a snapshot keeps host and target).
fn memory_of(row: &SecondRow) -> SystemStatus {
    SystemStatus {
        host_total: row.host_mem_total,
        host_used: row.host_mem_used,
        host_available: row.host_mem_total.saturating_sub(row.host_mem_used),
        target_rss: (row.target_rss > 0).then_some(row.target_rss),
        ..SystemStatus::default()
    }
}

/// Totals summed from the rows up to the cursor; latency from the cursor's row.
fn totals_of(series: &Series, row: &SecondRow) -> FrameTotals {
    let mut t = FrameTotals {
        latency: row.latency,
        ..FrameTotals::default()
    };
    for r in series.iter() {
        t.requests += r.requests;
        for (total, n) in t.classes.iter_mut().zip(r.classes) {
            *total += n;
        }
        t.bytes_in += r.bytes_in;
        t.bytes_out += r.bytes_out;
        t.rps_peak = t.rps_peak.max(r.requests as f64);
        t.dropped += r.dropped;
    }
    t.service = row.service;
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::dashboard::LogKind;
    use crate::metrics::frame::TREND_SECS;
    use crate::outcome::OutcomeClass;

    fn record(seconds: u32) -> RunRecord {
        let snapshot_rows: Vec<SecondRow> = (0..seconds)
            .map(|t| {
                let mut classes = [0; OutcomeClass::COUNT];
                classes[OutcomeClass::Ok.index()] = u64::from(100 + t);
                classes[OutcomeClass::S500.index()] = u64::from(t % 3);
                SecondRow {
                    t_s: t,
                    requests: classes.iter().sum(),
                    classes,
                    latency: Percentiles {
                        p50_us: u64::from(1000 + t),
                        p90_us: 2000,
                        p95_us: 3000,
                        p99_us: 4000,
                        max_us: 9000,
                    },
                    vus: t,
                    target_vus: t,
                    bytes_in: 10,
                    bytes_out: 1,
                    ..SecondRow::default()
                }
            })
            .collect();
        let mut frame = Dashboard::empty("p", "http://x");
        frame.elapsed = Duration::from_secs(u64::from(seconds));
        RunRecord {
            duration: Duration::from_secs(u64::from(seconds)),
            series: snapshot_rows,
            log: vec![
                LogEntry {
                    at: Duration::from_millis(500),
                    kind: LogKind::Stage,
                    text: "stage 1".into(),
                },
                LogEntry {
                    at: Duration::from_millis(70_300),
                    kind: LogKind::Operator,
                    text: "+10 VUs".into(),
                },
            ],
            last_frame: Arc::new(frame),
            ..RunRecord::empty("p", "http://x")
        }
    }

    #[test]
    fn totals_at_the_cursor_are_the_sum_of_rows_up_to_it() {
        let rec = record(150);
        let replay = Replay::from_record(&rec);
        for cursor in [0, 1, 59, 60, 61, 119, 120, 149, 500] {
            let d = replay.frame_at(cursor);
            let c = cursor.min(149);
            let upto = &rec.series[..=c];
            assert_eq!(d.requests, upto.iter().map(|r| r.requests).sum::<u64>());
            let errors: u64 = upto
                .iter()
                .map(|r| r.classes[OutcomeClass::S500.index()])
                .sum();
            assert_eq!(d.classes[OutcomeClass::S500.index()], errors);
            assert_eq!(d.errors(), errors);
            assert_eq!(d.bytes_in, 10 * upto.len() as u64);
            assert_eq!(d.series.len(), c + 1, "cursor {cursor}");
            assert_eq!(d.series.last().unwrap().t_s, c as u32);
            assert_eq!(d.latency, rec.series[c].latency);
            assert_eq!(d.rps_now, rec.series[c].requests as f64);
            assert_eq!(d.vus_active, c as u32);
            assert_eq!(d.mode, RunMode::Done);
            let s500 = d
                .error_classes
                .iter()
                .find(|s| s.class == OutcomeClass::S500)
                .unwrap();
            assert_eq!(s500.count, errors);
            assert!(s500.trend.len() <= TREND_SECS);
        }
    }

    #[test]
    fn closed_chunks_are_shared_between_frames() {
        let replay = Replay::from_record(&record(150));
        let a = replay.frame_at(130);
        let b = replay.frame_at(140);
        assert!(Arc::ptr_eq(&a.series.chunks[0], &b.series.chunks[0]));
        assert!(Arc::ptr_eq(&a.series.chunks[1], &b.series.chunks[1]));
    }

    #[test]
    fn the_log_stops_at_the_cursor() {
        let replay = Replay::from_record(&record(150));
        assert_eq!(replay.frame_at(0).log.len(), 1);
        assert_eq!(replay.frame_at(69).log.len(), 1);
        assert_eq!(replay.frame_at(70).log.len(), 2);
    }

    #[test]
    fn an_empty_run_gives_an_empty_done_frame() {
        let replay = Replay::from_record(&record(0));
        assert!(replay.is_empty());
        let d = replay.frame_at(3);
        assert!(d.series.is_empty());
        assert_eq!(d.mode, RunMode::Done);
        assert_eq!(replay.time_s(3), 0);
    }
}
