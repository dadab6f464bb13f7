//! The fold under an injected clock: fixed batches and engine events, the run time
//! advanced second by second, exact rows, verdicts, log lines and record.

use std::time::{Duration, Instant};

use super::*;
use crate::command::Command;
use crate::metrics::dashboard::{LogKind, RunMode, SecondRow, StageStatus, Verdict};
use crate::metrics::sample::Sample;
use crate::outcome::OutcomeClass;
use crate::threshold::parse_threshold;
use crate::vocab::EngineStatus;

fn config(thresholds: &[&str]) -> AggregatorConfig {
    AggregatorConfig {
        profile_name: "p".into(),
        target: "http://127.0.0.1:1".into(),
        request_names: vec!["home".into(), "search".into()],
        thresholds: thresholds
            .iter()
            .map(|t| parse_threshold(t).unwrap())
            .collect(),
        abort_on_fail: false,
        start: Instant::now(),
        journey: Default::default(),
        started_at: chrono::DateTime::UNIX_EPOCH,
        redactor: Default::default(),
        latency: Default::default(),
        stage_names: Vec::new(),
        watch_names: Vec::new(),
        segment: None,
        stages: Vec::new(),
    }
}

fn sample(request: u16, latency_ms: u32, class: OutcomeClass, status: u16) -> Sample {
    Sample {
        latency_us: latency_ms * 1000,
        schedule_delay_us: None,
        request,
        status,
        class,
    }
}

/// `n` ok requests to `home` of `latency_ms`, 100 bytes in and 10 out each.
fn ok_batch(n: u32, latency_ms: u32) -> Batch {
    Batch {
        samples: (0..n)
            .map(|_| sample(0, latency_ms, OutcomeClass::Ok, 200))
            .collect(),
        bytes_in: u64::from(n) * 100,
        bytes_out: u64::from(n) * 10,
        ..Batch::default()
    }
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

fn status(vus: u32, stage: usize) -> EngineEvent {
    EngineEvent::Status(EngineStatus {
        vus_active: vus,
        vus_target: vus,
        mode: RunMode::Ramping,
        stage: StageStatus {
            index: stage,
            count: 2,
            progress: 0.0,
            stage_target: vus,
            ..Default::default()
        },
        planned: Some(Duration::from_secs(10)),
        model: Default::default(),
    })
}

#[test]
fn open_model_samples_keep_both_latencies_and_arrivals_reach_the_row() {
    let mut agg = Aggregator::new(AggregatorConfig {
        latency: crate::vocab::LatencyBasis::IntendedStart,
        ..config(&["dropped_rate < 10%"])
    });
    let mut late = sample(0, 10, OutcomeClass::Ok, 200);
    // Due 990 ms before it could be sent: the user waited a second.
    late.schedule_delay_us = Some(990_000);
    let mut on_time = sample(0, 10, OutcomeClass::Ok, 200);
    on_time.schedule_delay_us = Some(0);
    let mut dropped = [0; crate::metrics::scope::DropReason::COUNT];
    dropped[crate::metrics::scope::DropReason::NoVuFree.index()] = 3;
    agg.fold(&Batch {
        samples: vec![late, on_time],
        arrivals: 5,
        dropped,
        ..Batch::default()
    });
    agg.advance_clock(secs(1.0));
    // A last batch with drops only (arrivals still waiting at the end) counts too.
    let mut last = [0; crate::metrics::scope::DropReason::COUNT];
    last[crate::metrics::scope::DropReason::NoVuFree.index()] = 1;
    agg.fold(&Batch {
        dropped: last,
        ..Batch::default()
    });
    let record = agg.finish(secs(1.5));
    let overall = &record.overall;
    assert_eq!(overall.hist.max() / 1000, 1000, "from intended start");
    let service = overall.service.as_ref().unwrap();
    assert_eq!(service.max() / 1000, 10, "service time");
    assert_eq!((overall.arrivals, overall.dropped_total()), (5, 4));
    let row = record.series[0];
    assert_eq!(row.dropped, 3);
    assert_eq!(row.service.unwrap().max_us / 1000, 10);
    assert_eq!(row.latency.max_us / 1000, 1000);
    // 4 of 5 arrivals dropped: the threshold fails.
    assert_eq!(record.threshold_value(&record.thresholds[0]), Some(0.8));
}

#[test]
fn each_second_closes_into_one_exact_row() {
    let mut agg = Aggregator::new(config(&[]));
    agg.apply_event(status(4, 0));
    agg.set_time(secs(0.2));
    agg.fold(&ok_batch(10, 5));
    agg.advance_clock(secs(0.9));
    assert!(agg.frame().series.is_empty(), "second 0 is still open");
    agg.advance_clock(secs(1.0));
    agg.fold(&ok_batch(3, 20));
    agg.advance_clock(secs(2.0));
    // Nothing arrives in second 2.
    agg.advance_clock(secs(3.0));
    let rows: Vec<SecondRow> = agg.frame().series.iter().copied().collect();
    assert_eq!(rows.iter().map(|r| r.t_s).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(
        rows.iter().map(|r| r.requests).collect::<Vec<_>>(),
        [10, 3, 0]
    );
    assert_eq!(rows[0].bytes_in, 1000);
    assert_eq!(rows[1].bytes_out, 30);
    assert_eq!(rows[0].vus, 4);
    assert_eq!(rows[0].target_vus, 4);
    // Every sample of a second has the same latency: each percentile is that value
    // (HDR keeps 3 significant digits, so within 0.1%).
    let close = |us: u64, want: u64| us.abs_diff(want) * 1000 <= want;
    assert!(close(rows[0].latency.p50_us, 5000), "{:?}", rows[0].latency);
    assert!(close(rows[0].latency.p99_us, 5000));
    assert!(close(rows[1].latency.max_us, 20_000));
    assert_eq!(rows[2].latency.p50_us, 0);
    assert_eq!(rows[0].classes[OutcomeClass::Ok.index()], 10);
}

#[test]
fn the_frame_carries_totals_classes_and_rates() {
    let mut agg = Aggregator::new(config(&[]));
    agg.set_time(secs(0.1));
    let mut batch = ok_batch(8, 10);
    batch.samples.push(sample(1, 30, OutcomeClass::S500, 500));
    batch.samples.push(sample(1, 30, OutcomeClass::S500, 503));
    batch.samples.push(sample(1, 30, OutcomeClass::S500, 500));
    batch
        .samples
        .push(sample(1, 1000, OutcomeClass::Timeout, 0));
    batch
        .messages
        .push((OutcomeClass::S500, "search: HTTP 500".into()));
    agg.fold(&batch);
    agg.advance_clock(secs(1.5));
    let d = agg.frame();
    assert_eq!(d.requests, 12);
    assert_eq!(d.errors(), 4);
    assert_eq!(d.rps_now, 12.0);
    assert_eq!(d.rps_peak, 12.0);
    assert_eq!(d.bytes_in, 800);
    assert_eq!(d.elapsed, secs(1.5));
    let s500 = d
        .error_classes
        .iter()
        .find(|c| c.class == OutcomeClass::S500)
        .unwrap();
    assert_eq!(s500.count, 3);
    assert_eq!(s500.per_sec, 3);
    assert_eq!(s500.share, 3.0 / 12.0);
    assert_eq!(s500.trend, vec![3]);
    assert_eq!(s500.by_status, vec![(500, 2), (503, 1)]);
    assert_eq!(s500.last_message.as_deref(), Some("search: HTTP 500"));
    let timeout = d
        .error_classes
        .iter()
        .find(|c| c.class == OutcomeClass::Timeout)
        .unwrap();
    assert!(timeout.by_status.is_empty(), "a timeout has no status code");
    assert_eq!(d.error_classes.len(), OutcomeClass::errors().count());
    assert_eq!(d.request_stats.len(), 2);
    assert_eq!(d.request_stats[0].count, 8);
    assert_eq!(d.request_stats[1].count, 4);
    assert_eq!(d.request_stats[1].errors, 4);
    assert_eq!(d.request_stats[1].rps, 4.0);
    // The first message of a class is logged once, stamped with the time it came in.
    assert_eq!(d.log.len(), 1);
    assert_eq!(d.log[0].kind, LogKind::FirstError);
    assert_eq!(d.log[0].text, "first 500 error: search: HTTP 500");
    assert_eq!(d.log[0].at, secs(0.1));
}

#[test]
fn samples_count_in_the_stage_the_engine_reported() {
    let mut agg = Aggregator::new(config(&[]));
    agg.apply_event(status(2, 0));
    agg.fold(&ok_batch(5, 1));
    agg.apply_event(status(6, 1));
    agg.fold(&ok_batch(7, 1));
    let record = agg.finish(secs(0.5));
    assert_eq!(record.per_stage.len(), 2);
    assert_eq!(record.per_stage[0].requests(), 5);
    assert_eq!(record.per_stage[1].requests(), 7);
    assert_eq!(record.overall.requests(), 12);
}

#[test]
fn thresholds_fail_recover_and_log_as_seconds_close() {
    let mut agg = Aggregator::new(config(&["p95 < 50ms", "search.error_rate < 10%"]));
    // Second 0: fast and clean.
    agg.fold(&ok_batch(20, 10));
    agg.advance_clock(secs(1.0));
    // No search was sent yet: that threshold has no data.
    assert_eq!(agg.verdicts, [Verdict::Pass, Verdict::NoData]);
    // Second 1: slow home requests and failing searches.
    agg.fold(&ok_batch(80, 200));
    agg.fold(&Batch {
        samples: vec![sample(1, 5, OutcomeClass::S500, 500); 2],
        ..Batch::default()
    });
    agg.advance_clock(secs(2.0));
    assert_eq!(agg.verdicts, [Verdict::Fail, Verdict::Fail]);
    let d = agg.frame();
    assert!(d.thresholds[0].run_value > 190.0, "{:?}", d.thresholds[0]);
    assert_eq!(d.thresholds[0].run, Verdict::Fail);
    assert_eq!(d.thresholds[1].run_value, 1.0);
    assert_eq!(d.request_stats[1].threshold, Some(Verdict::Fail));
    assert_eq!(d.request_stats[0].threshold, None);
    let texts: Vec<&str> = d.log.iter().map(|e| e.text.as_str()).collect();
    assert!(
        texts.contains(&"threshold search.error_rate < 10% failed (now 100.00%)"),
        "{texts:?}"
    );
    // Many good searches bring the run's search error rate under 10%.
    agg.fold(&Batch {
        samples: vec![sample(1, 5, OutcomeClass::Ok, 200); 30],
        ..Batch::default()
    });
    agg.advance_clock(secs(3.0));
    assert_eq!(agg.verdicts[1], Verdict::Pass);
    let recovered = agg
        .frame()
        .log
        .iter()
        .filter(|e| e.kind == LogKind::ThresholdRecovered)
        .count();
    assert_eq!(recovered, 1);
}

#[test]
fn the_recent_badge_reads_only_the_last_thirty_seconds() {
    let mut agg = Aggregator::new(config(&["p95 < 50ms"]));
    // One slow second, then 30 fast ones: the run still fails, the window passes.
    agg.fold(&ok_batch(1000, 500));
    agg.advance_clock(secs(1.0));
    for s in 1..=RECENT_WINDOW_SECS {
        agg.fold(&ok_batch(10, 5));
        agg.advance_clock(secs(s as f64 + 1.0));
    }
    let t = &agg.frame().thresholds[0];
    assert_eq!(t.run, Verdict::Fail);
    assert!(t.run_value > 400.0);
    assert_eq!(t.recent, Verdict::Pass, "{t:?}");
    assert!((t.recent_value - 5.0).abs() < 0.01, "{t:?}");
}

#[test]
fn the_chart_windows_read_only_their_last_seconds() {
    let mut agg = Aggregator::new(config(&[]));
    // Ten slow seconds, then seventy fast ones.
    for s in 0..80u32 {
        agg.fold(&ok_batch(100, if s < 10 { 900 } else { 5 }));
        agg.advance_clock(secs(f64::from(s) + 1.0));
    }
    let w = agg.frame().window_latency;
    // The last minute saw only fast seconds; five minutes and the run saw all.
    assert!((4_990..5_010).contains(&w.last[0].max_us), "{w:?}");
    assert!(w.last[1].max_us > 800_000, "{w:?}");
    assert!(w.run.max_us > 800_000 && w.run.p50_us < 6_000, "{w:?}");
    assert_eq!(w.last[1], w.run);
}

#[test]
fn applied_commands_are_logged_and_recorded_at_their_time() {
    let mut agg = Aggregator::new(config(&[]));
    agg.set_time(secs(2.5));
    agg.apply_event(EngineEvent::Applied {
        command: Command::AddVus { delta: 10 },
        vus_before: 5,
        vus_after: 15,
    });
    agg.set_time(secs(3.0));
    agg.apply_event(EngineEvent::Applied {
        command: Command::Annotate {
            text: "scaled".into(),
        },
        vus_before: 15,
        vus_after: 15,
    });
    agg.apply_event(EngineEvent::Log {
        kind: LogKind::Stage,
        text: "stage 2/2".into(),
    });
    let record = agg.finish(secs(3.2));
    let log: Vec<(Duration, LogKind, &str)> = record
        .log
        .iter()
        .map(|e| (e.at, e.kind, e.text.as_str()))
        .collect();
    assert_eq!(
        log,
        [
            (secs(2.5), LogKind::Operator, "+10 VUs (VUs 5 → 15)"),
            (secs(3.0), LogKind::Annotation, "note: scaled"),
            (secs(3.0), LogKind::Stage, "stage 2/2"),
        ]
    );
    assert_eq!(record.actions.len(), 2);
    assert_eq!(record.actions[0].at, secs(2.5));
    assert_eq!(record.actions[0].vus_after, 15);
}

#[test]
fn abort_on_fail_fires_once() {
    let mut cfg = config(&["error_rate < 1%"]);
    cfg.abort_on_fail = true;
    let mut agg = Aggregator::new(cfg);
    agg.fold(&ok_batch(10, 1));
    agg.advance_clock(secs(1.0));
    assert!(!agg.abort_if_failed());
    agg.fold(&Batch {
        samples: vec![sample(0, 1, OutcomeClass::Timeout, 0); 5],
        ..Batch::default()
    });
    agg.advance_clock(secs(2.0));
    assert!(agg.abort_if_failed());
    assert!(!agg.abort_if_failed(), "only once");
    let record = agg.finish(secs(2.1));
    assert!(record.aborted_by_threshold);
    let alerts = record
        .log
        .iter()
        .filter(|e| e.kind == LogKind::Alert)
        .count();
    assert_eq!(alerts, 1);
}

#[test]
fn a_mid_run_copy_and_the_final_record_agree_with_the_fold() {
    let mut agg = Aggregator::new(config(&["p99 < 1s"]));
    agg.apply_event(status(3, 0));
    for s in 0..3 {
        agg.fold(&ok_batch(10 + s, 4));
        agg.advance_clock(secs(f64::from(s) + 1.0));
    }
    agg.set_time(secs(3.2));
    let copy = agg.record_now();
    assert!(!copy.complete);
    assert_eq!(copy.duration, secs(3.2));
    assert_eq!(copy.series.len(), 3);
    assert_eq!(copy.second_histograms.len(), 3);
    assert_eq!(copy.overall.requests(), 33);
    assert_eq!(copy.last_frame.requests, 33);
    assert_eq!(copy.request_names, ["home", "search"]);
    assert_eq!(copy.thresholds.len(), 1);
    // The last 0.5 s carries 6 requests: the final partial row counts them.
    agg.fold(&ok_batch(6, 4));
    let record = agg.finish(secs(3.5));
    assert!(record.complete);
    assert_eq!(record.duration, secs(3.5));
    assert_eq!(record.profile_name, "p");
    assert_eq!(
        record.series.iter().map(|r| r.requests).collect::<Vec<_>>(),
        [10, 11, 12, 6]
    );
    assert_eq!(record.second_histograms.len(), 4);
    assert_eq!(record.overall.requests(), 39);
    assert_eq!(record.per_request[0].requests(), 39);
    assert_eq!(record.bytes_in, 3900);
    assert_eq!(record.last_frame.mode, RunMode::Done);
    assert_eq!(record.last_frame.vus_active, 0);
    // 6 requests in half a second is 12/s, the peak.
    assert_eq!(record.last_frame.rps_peak, 12.0);
    // HDR reports the top of the value's bucket (3 significant digits).
    let p95 = record.threshold_value(&record.thresholds[0]).unwrap();
    assert!((p95 - 4.0).abs() < 0.005, "{p95}");
    // A histogram saved per second decodes to that second's requests.
    let h = crate::metrics::hist_codec::decode(&record.second_histograms[3]).unwrap();
    assert_eq!(h.len(), 6);
}

#[test]
fn the_live_window_breaches_match_the_ones_read_from_the_record() {
    let mut agg = Aggregator::new(config(&["p95_3s < 500ms", "error_rate_2s < 5%"]));
    // Slow from 4 to 6, fast otherwise.
    for s in 0..12u32 {
        agg.fold(&ok_batch(100, if (4..7).contains(&s) { 900 } else { 5 }));
        agg.advance_clock(secs(f64::from(s) + 1.0));
    }
    let live = agg.window_breaches.clone();
    let live_recoveries = agg.tables.recoveries.clone();
    let record = agg.finish(secs(12.0));
    for (t, live) in record.thresholds.iter().zip(&live) {
        let read = crate::metrics::window::breaches_in_record(
            t,
            &record.series,
            &record.second_histograms,
        );
        assert_eq!(&read[..live.len()], &live[..], "{}", t.expr);
    }
    assert!(
        live[0].contains(&Some(true)),
        "the slow seconds break p95_3s"
    );
    // The stages pane's live recoveries, read from those breaches, are the saved run's.
    let saved = crate::metrics::run_tables::RunTables::of_record(&record);
    assert_eq!(saved.recoveries.len(), 1, "{:?}", saved.recoveries);
    assert_eq!(live_recoveries, saved.recoveries);
}
