//! The load engine end to end: real demo target on loopback, real sockets, the
//! library's `Session` (what the dashboard and headless runs use).

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use loadpilot::command::Command;
use loadpilot::engine::EngineEnd;
use loadpilot::metrics::dashboard::{Dashboard, LogKind, RunMode};
use loadpilot::profile::Profile;
use loadpilot::session::{RunOutput, Session};

async fn run(profile: Profile) -> RunOutput {
    run_with(profile, opts()).await
}

async fn run_with(profile: Profile, opts: loadpilot::cli::RunOptions) -> RunOutput {
    let session = Session::start(profile, &opts, None).expect("session starts");
    tokio::time::timeout(Duration::from_secs(60), session.wait())
        .await
        .expect("run ends in time")
        .expect("run ok")
}

/// Classes with a non-zero count, by label.
fn classes(out: &RunOutput) -> BTreeMap<String, u64> {
    out.summary.overall.classes.clone()
}

fn only(label: &str, out: &RunOutput) -> u64 {
    let c = classes(out);
    assert_eq!(
        c.keys().collect::<Vec<_>>(),
        vec![label],
        "expected only {label}: {c:?}"
    );
    c[label]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_429_endpoint_gives_only_429_and_counts_match_the_target() {
    let t = target().await;
    let out = run(profile(
        &t.url(""),
        &[("/status/429", 1)],
        flat(4, Duration::from_secs(2)),
    ))
    .await;
    let n = only("429", &out);
    assert!(n > 20, "too few requests: {n}");
    assert_eq!(
        served(&t).await.get(&429).copied(),
        Some(n),
        "target and loadpilot disagree"
    );
    assert_eq!(out.summary.error_classes[0].statuses, vec![(429, n)]);
    assert!(
        out.summary.error_classes[0]
            .last_message
            .as_deref()
            .unwrap()
            .contains("HTTP 429")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_classes_keep_their_codes() {
    let t = target().await;
    let paths = [
        ("/status/404", 1),
        ("/status/500", 1),
        ("/status/503", 1),
        ("/ping", 1),
    ];
    let out = run(profile(&t.url(""), &paths, flat(4, Duration::from_secs(2)))).await;
    let c = classes(&out);
    let served = served(&t).await;
    assert_eq!(c.get("4xx"), served.get(&404), "{c:?} vs {served:?}");
    assert_eq!(c.get("500"), served.get(&500));
    assert_eq!(c.get("5xx"), served.get(&503));
    assert_eq!(c.get("ok"), served.get(&200));
    assert_eq!(c.len(), 4, "{c:?}");
    let five = out
        .summary
        .error_classes
        .iter()
        .find(|e| e.label == "5xx")
        .unwrap();
    assert_eq!(five.statuses.len(), 1);
    assert_eq!(five.statuses[0].0, 503);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_beyond_the_timeout_gives_only_timeouts() {
    let t = target().await;
    let mut p = profile(
        &t.url(""),
        &[("/delay/3000", 1)],
        flat(3, Duration::from_millis(1500)),
    );
    p.defaults.timeout = Duration::from_millis(200);
    let out = run(p).await;
    let n = only("timeout", &out);
    assert!(n >= 6, "{n}");
    // A timeout's latency is the timeout.
    assert!(
        out.summary.overall.p50_ms >= 199.0 && out.summary.overall.p50_ms < 400.0,
        "{:?}",
        out.summary.overall
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_port_gives_only_connect_errors() {
    let url = format!("http://127.0.0.1:{}", closed_port());
    let out = run(profile(
        &url,
        &[("/", 1)],
        flat(2, Duration::from_millis(500)),
    ))
    .await;
    let n = only("connect", &out);
    // Each VU backs off (50, 100, 200 ms, …) instead of storming the closed port.
    assert!(
        (2..=12).contains(&n),
        "{n} connection attempts in 0.5 s by 2 VUs"
    );
    let msg = out.summary.error_classes[0].last_message.clone().unwrap();
    assert!(msg.contains("refused"), "{msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_closed_without_response_is_a_protocol_error() {
    let t = target().await;
    let out = run(profile(
        &t.url(""),
        &[("/close", 1)],
        flat(2, Duration::from_millis(500)),
    ))
    .await;
    only("protocol", &out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_to_a_plain_http_port_is_a_tls_error() {
    let t = target().await;
    let url = format!("https://{}", t.addr);
    let out = run(profile(
        &url,
        &[("/ping", 1)],
        flat(2, Duration::from_millis(500)),
    ))
    .await;
    only("tls", &out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unresolvable_host_is_a_dns_error() {
    // A 64-character label cannot be encoded in a DNS query, so the resolver fails
    // locally: no packet leaves the machine.
    let url = format!("http://{}.invalid:80", "a".repeat(64));
    let out = run(profile(
        &url,
        &[("/", 1)],
        flat(1, Duration::from_millis(300)),
    ))
    .await;
    only("dns", &out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_checks_are_the_check_class_and_name_the_check() {
    let t = target().await;
    let mut p = profile(
        &t.url(""),
        &[("/ping", 1), ("/delay/30", 1)],
        flat(2, Duration::from_secs(1)),
    );
    p.requests[0].check.body_contains = Some("nope".into());
    p.requests[1].check.max_duration = Some(Duration::from_millis(5));
    p.requests[1].check.status = Some(vec![200]);
    let out = run(p).await;
    let n = only("check", &out);
    assert_eq!(n, out.summary.overall.count);
    let log: Vec<_> = out
        .record
        .log
        .iter()
        .filter(|e| e.kind == LogKind::FirstError)
        .collect();
    assert!(log[0].text.contains("check"), "{log:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expected_error_status_counts_as_success() {
    let t = target().await;
    let mut p = profile(
        &t.url(""),
        &[("/status/404", 1)],
        flat(1, Duration::from_millis(500)),
    );
    p.requests[0].check.status = Some(vec![404]);
    let out = run(p).await;
    only("ok", &out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_and_https_with_insecure_work() {
    let t = target().await;
    let mut o = opts();
    o.http2 = true;
    let out = run_with(
        profile(
            &t.url(""),
            &[("/ping", 1)],
            flat(2, Duration::from_millis(500)),
        ),
        o,
    )
    .await;
    only("ok", &out);

    let tls = target_with(loadpilot::demo_target::TargetConfig {
        tls: true,
        ..Default::default()
    })
    .await;
    let p = || {
        profile(
            &tls.url(""),
            &[("/ping", 1)],
            flat(2, Duration::from_millis(500)),
        )
    };
    // A self-signed certificate is rejected unless --insecure.
    only("tls", &run(p()).await);
    let mut o = opts();
    o.insecure = true;
    only("ok", &run_with(p(), o.clone()).await);
    o.http2 = true;
    only("ok", &run_with(p(), o).await);
}

/// Collects frames until the run ends.
async fn frames_until_done(
    mut frames: tokio::sync::watch::Receiver<Arc<Dashboard>>,
) -> Vec<Arc<Dashboard>> {
    let mut seen = Vec::new();
    while frames.changed().await.is_ok() {
        seen.push(frames.borrow_and_update().clone());
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stages_reach_their_targets_within_a_second_of_schedule() {
    let t = target().await;
    let mut p = profile(
        &t.url(""),
        &[("/delay/20", 1)],
        // 20 is held for a second: frames come every 250 ms, and a peak held
        // for an instant (about 75 ms round 20) is missed when a frame is late.
        stages("2s:10,2s:10,2s:20,1s:20,1s:0"),
    );
    p.load.graceful_stop = Duration::from_secs(2);
    let session = Session::start(p, &opts(), None).unwrap();
    let collector = tokio::spawn(frames_until_done(session.frames.clone()));
    let out = session.wait().await.unwrap();
    let frames = collector.await.unwrap();
    let first_at = |vus: u32| {
        frames
            .iter()
            .find(|f| f.vus_active >= vus)
            .map(|f| f.elapsed.as_secs_f64())
    };
    let reached_10 = first_at(10).expect("reached 10 VUs");
    let reached_20 = first_at(20).expect("reached 20 VUs");
    assert!(
        (1.0..=3.0).contains(&reached_10),
        "10 VUs at {reached_10}s (scheduled at 2s)"
    );
    assert!(
        (5.0..=7.0).contains(&reached_20),
        "20 VUs at {reached_20}s (scheduled at 6s)"
    );
    // Never above the schedule: early in the first ramp the target is small.
    for f in frames
        .iter()
        .filter(|f| f.elapsed < Duration::from_millis(900))
    {
        assert!(f.vus_active <= 6, "{} VUs at {:?}", f.vus_active, f.elapsed);
    }
    assert_eq!(out.end, EngineEnd::Completed);
    assert_eq!(out.summary.overall.errors, 0);
    // The VU count enters the per-second series.
    assert!(out.record.series.iter().any(|r| r.vus == 10));
    assert!(out.record.series.iter().any(|r| r.vus == 20));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_vus_drops_no_in_flight_request() {
    let t = target().await;
    let p = profile(
        &t.url(""),
        &[("/delay/300", 1)],
        flat(20, Duration::from_secs(30)),
    );
    let session = Session::start(p, &opts(), None).unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    session
        .commands
        .send(Command::SetVus { vus: 5 })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    session.commands.send(Command::Stop).await.unwrap();
    let out = session.wait().await.unwrap();
    let ok = only("ok", &out);
    assert_eq!(
        served(&t).await.get(&200).copied(),
        Some(ok),
        "every request the target answered was recorded"
    );
    assert_eq!(out.end, EngineEnd::Stopped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_commands_steer_the_run_and_are_logged() {
    let t = target().await;
    let p = profile(&t.url(""), &[("/delay/10", 1)], stages("0s:4,20s:4,20s:4"));
    let session = Session::start(p, &opts(), None).unwrap();
    let mut frames = session.frames.clone();
    let wait_for = |frames: &mut tokio::sync::watch::Receiver<Arc<Dashboard>>,
                    what: &'static str,
                    pred: fn(&Dashboard) -> bool| {
        let mut frames = frames.clone();
        async move {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
            loop {
                if pred(&frames.borrow_and_update()) {
                    return frames.borrow().clone();
                }
                if tokio::time::timeout_at(deadline, frames.changed())
                    .await
                    .is_err()
                {
                    panic!("timed out waiting for: {what}");
                }
            }
        }
    };
    wait_for(&mut frames, "4 VUs", |f| f.vus_active == 4).await;
    session
        .commands
        .send(Command::AddVus { delta: 10 })
        .await
        .unwrap();
    let f = wait_for(&mut frames, "14 VUs, manual", |f| {
        f.vus_active == 14 && f.mode == RunMode::Manual
    })
    .await;
    assert_eq!(f.vus_target, 14);
    session.commands.send(Command::Resume).await.unwrap();
    wait_for(&mut frames, "ramping", |f| f.mode == RunMode::Ramping).await;
    session.commands.send(Command::Hold).await.unwrap();
    wait_for(&mut frames, "hold", |f| f.mode == RunMode::Hold).await;
    session.commands.send(Command::Pause).await.unwrap();
    let paused = wait_for(&mut frames, "paused", |f| f.mode == RunMode::Paused).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let later = frames.borrow().clone();
    // Only requests in flight at the pause may complete.
    assert!(
        later.requests - paused.requests <= 14,
        "{} requests while paused",
        later.requests - paused.requests
    );
    session.commands.send(Command::Unpause).await.unwrap();
    session.commands.send(Command::Resume).await.unwrap();
    session.commands.send(Command::SkipStage).await.unwrap();
    wait_for(&mut frames, "stage 3", |f| f.stage.index == 2).await;
    session
        .commands
        .send(Command::Annotate {
            text: "scaled to 4 pods".into(),
        })
        .await
        .unwrap();
    session
        .commands
        .send(Command::SetVus { vus: 0 })
        .await
        .unwrap();
    session.commands.send(Command::Stop).await.unwrap();
    let out = session.wait().await.unwrap();
    assert_eq!(out.end, EngineEnd::Stopped);
    let log: Vec<String> = out
        .record
        .log
        .iter()
        .filter(|e| matches!(e.kind, LogKind::Operator | LogKind::Annotation))
        .map(|e| e.text.clone())
        .collect();
    assert_eq!(
        log,
        vec![
            "+10 VUs (VUs 4 → 14)",
            "resume",
            "hold",
            "pause",
            "unpause",
            "resume",
            "skip stage",
            "note: scaled to 4 pods",
            // Skipping ramps the next stage from the current 14 VUs.
            "set VUs to 0 (VUs 14 → 0)",
            "stop",
        ],
    );
    assert_eq!(out.record.last_frame.mode, RunMode::Done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duration_caps_a_longer_schedule() {
    let t = target().await;
    let p = profile(&t.url(""), &[("/ping", 1)], stages("0s:5,1m:5"));
    let mut o = opts();
    o.duration = Some(Duration::from_millis(1500));
    let started = std::time::Instant::now();
    let out = run_with(p, o).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(out.end, EngineEnd::Completed);
    only("ok", &out);
}

/// Issue 13 point 1: steering the VUs (which freezes the stage clock) must not
/// stretch the run past `--duration`; the reported end stays the real end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steering_never_moves_the_end_of_the_run() {
    let t = target().await;
    let p = profile(&t.url(""), &[("/ping", 1)], flat(2, Duration::from_secs(2)));
    let session = Session::start(p, &opts(), None).unwrap();
    let collector = tokio::spawn(frames_until_done(session.frames.clone()));
    let started = std::time::Instant::now();
    for _ in 0..3 {
        session
            .commands
            .send(Command::AddVus { delta: 2 })
            .await
            .unwrap();
    }
    session.commands.send(Command::Hold).await.unwrap();
    let out = tokio::time::timeout(Duration::from_secs(20), session.wait())
        .await
        .expect("the run ends at its duration although the operator steered")
        .unwrap();
    assert_eq!(out.end, EngineEnd::Completed);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "ran {:?} for a 2 s run",
        started.elapsed()
    );
    let frames = collector.await.unwrap();
    assert!(
        frames
            .iter()
            .all(|f| f.planned.is_none_or(|p| p == Duration::from_secs(2))),
        "the header's total stays the real end"
    );
    assert!(out.record.duration < Duration::from_secs(4));
}

/// `]` (Command::ExtendRun) moves the end later, holds the last target past
/// the schedule, and is logged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extending_the_run_moves_its_end_and_is_logged() {
    let t = target().await;
    let p = profile(&t.url(""), &[("/ping", 1)], flat(2, Duration::from_secs(1)));
    let session = Session::start(p, &opts(), None).unwrap();
    let mut frames = session.frames.clone();
    session
        .commands
        .send(Command::ExtendRun { secs: 2 })
        .await
        .unwrap();
    let extended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if frames.borrow_and_update().planned == Some(Duration::from_secs(3)) {
                return;
            }
            frames.changed().await.unwrap();
        }
    })
    .await;
    assert!(extended.is_ok(), "the header total became 3 s");
    let out = tokio::time::timeout(Duration::from_secs(20), session.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.end, EngineEnd::Completed);
    assert!(
        out.record.duration >= Duration::from_millis(2800),
        "the run lasted its extension: {:?}",
        out.record.duration
    );
    let series_vus: Vec<u32> = out.record.series.iter().map(|r| r.vus).collect();
    assert!(
        series_vus.iter().skip(1).any(|v| *v == 2),
        "the last target holds past the schedule: {series_vus:?}"
    );
    assert!(
        out.record
            .log
            .iter()
            .any(|e| e.kind == LogKind::Operator && e.text == "run extended by 2s"),
        "{:?}",
        out.record.log
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_request_stats_and_weights() {
    let t = target().await;
    let p = profile(
        &t.url(""),
        &[("/ping", 3), ("/bytes/1000", 1)],
        flat(4, Duration::from_secs(2)),
    );
    let out = run(p).await;
    let ping = &out.summary.requests[0].stats;
    let bytes = &out.summary.requests[1].stats;
    let share = ping.count as f64 / (ping.count + bytes.count) as f64;
    assert!((share - 0.75).abs() < 0.05, "ping share {share}");
    // Body bytes are counted: at least 1000 per /bytes/1000 response.
    assert!(out.summary.bytes_in >= bytes.count * 1000);
    assert_eq!(
        out.record.series.iter().map(|r| r.requests).sum::<u64>(),
        out.summary.overall.count
    );
}
