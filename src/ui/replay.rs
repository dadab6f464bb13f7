//! A saved run as the dashboard sees it: [`Replay`] turns a [`RunRecord`] into
//! [`Dashboard`] frames at a time cursor, so `loadpilot open` draws with the very
//! widgets of the live dashboard.
//!
//! What a frame at cursor second `c` holds:
//! - the series up to and including row `c` (closed chunks shared, as live);
//! - totals (requests, classes, bytes, peak rate) summed from the rows `0..=c`;
//! - latency percentiles and the rate of second `c`, from its row;
//! - error classes counted from the rows, with status codes and last message
//!   from the record (the file keeps them for the whole run only);
//! - per-request stats and threshold verdicts over the whole saved run (the file
//!   keeps no per-second per-request data);
//! - the event log up to the end of second `c`; mode DONE (the header says VIEW).
//!
//! Frames are built in `App::update` when the cursor moves, never in `view`.

use std::sync::Arc;
use std::time::Duration;

use crate::metrics::aggregator::{RunRecord, verdict};
use crate::metrics::dashboard::{
    ClassStat, Dashboard, LogEntry, RequestStat, RunMode, SecondRow, Series, ThresholdStatus,
};
use crate::outcome::OutcomeClass;
use crate::threshold::Stat;

/// Rows per shared series chunk (as the live series store).
const CHUNK_ROWS: usize = 60;
/// Seconds of class counts in each error sparkline (as live).
const TREND_SECS: usize = 60;
/// Event-log entries carried in each frame (as live).
const LOG_TAIL: usize = 200;

/// An error class's status codes (with counts) and last message, whole run.
type ClassDetails = (Vec<(u16, u64)>, Option<String>);

/// Everything a saved run shows, prepared once when the file is opened.
#[derive(Debug)]
pub struct Replay {
    profile_name: String,
    target: String,
    duration: Duration,
    rows: Vec<SecondRow>,
    /// `rows` in full chunks of [`CHUNK_ROWS`], shared by every frame.
    chunks: Vec<Arc<[SecondRow]>>,
    log: Vec<LogEntry>,
    request_stats: Vec<RequestStat>,
    /// Per class index: status codes seen and the last message (whole run).
    class_details: Vec<ClassDetails>,
    thresholds: Vec<ThresholdStatus>,
    latency_limits_ms: Vec<(String, f64)>,
}

impl Replay {
    pub fn from_record(record: &RunRecord) -> Replay {
        let rows = record.series.clone();
        let chunks = rows
            .chunks_exact(CHUNK_ROWS)
            .map(Arc::<[SecondRow]>::from)
            .collect();
        let secs = record.duration.as_secs_f64();
        let request_stats = record
            .request_names
            .iter()
            .zip(&record.per_request)
            .map(|(name, stats)| RequestStat {
                name: name.clone(),
                count: stats.requests(),
                errors: stats.errors(),
                rps: stats.stat(Stat::Rps, secs),
                latency: stats.percentiles(),
                threshold: None,
            })
            .collect();
        let thresholds = record
            .thresholds
            .iter()
            .map(|t| {
                let value = record.threshold_value(t);
                // The file has no 30 s window; both badges show the whole run.
                ThresholdStatus {
                    expr: t.expr.clone(),
                    run: verdict(t, value),
                    run_value: value.unwrap_or(0.0),
                    recent: verdict(t, value),
                    recent_value: value.unwrap_or(0.0),
                }
            })
            .collect();
        let latency_limits_ms = crate::metrics::aggregator::latency_limits(&record.thresholds);
        let class_details = (0..OutcomeClass::COUNT)
            .map(|i| {
                (
                    record.by_status.get(i).cloned().unwrap_or_default(),
                    record.last_message.get(i).cloned().flatten(),
                )
            })
            .collect();
        Replay {
            profile_name: record.profile_name.clone(),
            target: record.target.clone(),
            duration: record.duration,
            rows,
            chunks,
            log: record.log.clone(),
            request_stats,
            class_details,
            thresholds,
            latency_limits_ms,
        }
    }

    /// Seconds in the saved series (cursor positions are `0..len()`).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The second after the last saved one (the chart's whole-run x range).
    pub fn end_s(&self) -> u32 {
        self.rows.last().map_or(0, |r| r.t_s + 1)
    }

    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// The run time (seconds) of cursor position `cursor`.
    pub fn time_s(&self, cursor: usize) -> u32 {
        self.rows
            .get(cursor.min(self.len().saturating_sub(1)))
            .map_or(0, |r| r.t_s)
    }

    /// The frame at cursor position `cursor` (clamped to the last second).
    pub fn frame_at(&self, cursor: usize) -> Dashboard {
        let mut d = Dashboard::empty(&self.profile_name, &self.target);
        d.mode = RunMode::Done;
        d.planned = Some(self.duration);
        d.request_stats = self.request_stats.clone();
        d.thresholds = self.thresholds.clone();
        d.latency_limits_ms = self.latency_limits_ms.clone();
        let Some(last) = self.len().checked_sub(1) else {
            d.elapsed = self.duration;
            d.log = self
                .log
                .iter()
                .rev()
                .take(LOG_TAIL)
                .rev()
                .cloned()
                .collect();
            return d;
        };
        let c = cursor.min(last);
        let upto = &self.rows[..=c];
        let row = upto[c];
        // Memory as sampled in the cursor's second (a snapshot keeps host and target).
        d.memory.host_total = row.host_mem_total;
        d.memory.host_used = row.host_mem_used;
        d.memory.host_available = row.host_mem_total.saturating_sub(row.host_mem_used);
        d.memory.target_rss = (row.target_rss > 0).then_some(row.target_rss);

        let full = (c + 1) / CHUNK_ROWS;
        let mut chunks = self.chunks[..full].to_vec();
        if full * CHUNK_ROWS < upto.len() {
            chunks.push(Arc::from(&upto[full * CHUNK_ROWS..]));
        }
        d.series = Series { chunks };

        for r in upto {
            d.requests += r.requests;
            for (total, n) in d.classes.iter_mut().zip(r.classes) {
                *total += n;
            }
            d.bytes_in += r.bytes_in;
            d.bytes_out += r.bytes_out;
            d.rps_peak = d.rps_peak.max(r.requests as f64);
        }
        d.elapsed = Duration::from_secs(u64::from(row.t_s) + 1);
        d.latency = row.latency;
        d.rps_now = row.requests as f64;
        d.vus_active = row.vus;
        d.vus_target = row.target_vus;
        let trend_rows = &upto[upto.len().saturating_sub(TREND_SECS)..];
        d.error_classes = OutcomeClass::errors()
            .map(|class| {
                let i = class.index();
                let count = d.classes[i];
                let (by_status, last_message) = self.class_details[i].clone();
                ClassStat {
                    class,
                    count,
                    per_sec: row.classes[i],
                    share: if d.requests == 0 {
                        0.0
                    } else {
                        count as f64 / d.requests as f64
                    },
                    trend: trend_rows.iter().map(|r| r.classes[i]).collect(),
                    by_status,
                    last_message,
                }
            })
            .collect();
        let until = d.elapsed;
        let shown: Vec<&LogEntry> = self.log.iter().filter(|e| e.at < until).collect();
        d.log = shown[shown.len().saturating_sub(LOG_TAIL)..]
            .iter()
            .map(|e| (*e).clone())
            .collect();
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::dashboard::{LogKind, Percentiles};

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
