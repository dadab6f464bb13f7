//! The open model (arrival rate) end to end against the real demo target on
//! loopback: the rate it holds, the latency it measures from each request's
//! intended start (so a stalled server shows in full), drops, and steering.

mod common;

use std::time::Duration;

use common::*;
use loadpilot::command::Command;
use loadpilot::demo_target::TargetConfig;
use loadpilot::demo_target::stall::parse_stall;
use loadpilot::metrics::scope::quantile_ms;
use loadpilot::plan::{LoadModel, Stage, flat_stages};
use loadpilot::profile::Profile;
use loadpilot::session::{RunOutput, Session};
use loadpilot::vocab::LatencyBasis;

fn rate_profile(base: &str, path: &str, stages: Vec<Stage>) -> Profile {
    let mut p = profile(base, &[(path, 1)], stages);
    p.load.model = LoadModel::Rate;
    p
}

async fn run(profile: Profile, opts: loadpilot::cli::RunOptions) -> RunOutput {
    let session = Session::start(profile, &opts, None).expect("session starts");
    tokio::time::timeout(Duration::from_secs(60), session.wait())
        .await
        .expect("run ends in time")
        .expect("run ok")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_constant_rate_sends_the_scheduled_requests_and_no_more() {
    let t = target().await;
    let p = rate_profile(
        &t.url(""),
        "/delay/5",
        flat_stages(100, Duration::from_secs(3)),
    );
    let out = run(p, opts()).await;
    let overall = &out.record.overall;
    // 3 s at 100/s on a fixed timeline: arrivals 0..=300 at most (the last one
    // sits on the end), a few less if the end is read a tick early.
    assert!(
        (290..=301).contains(&overall.arrivals),
        "arrivals {}",
        overall.arrivals
    );
    assert_eq!(overall.dropped_total(), 0, "nothing dropped at 100/s");
    assert_eq!(
        overall.requests(),
        overall.arrivals,
        "one request per arrival"
    );
    assert_eq!(
        served(&t).await.get(&200).copied(),
        Some(overall.requests()),
        "the target saw every request"
    );
    assert_eq!(out.record.latency, LatencyBasis::IntendedStart);
    let service = overall.service.as_ref().expect("service time kept");
    assert_eq!(service.len(), overall.hist.len());
    // From intended start is never shorter than the service time.
    assert!(overall.hist.value_at_quantile(0.5) >= service.value_at_quantile(0.5));
    let arrivals = out.summary.arrivals.as_ref().expect("arrivals in summary");
    assert_eq!(arrivals.arrivals, overall.arrivals);
    assert_eq!(out.summary.latency_basis, "from intended start");
    assert!(out.summary.render_text().contains("service time p50"));
}

/// The acceptance's stall test, shortened: a target answering in 10 ms that
/// freezes for 1 s every 5 s, at 200 arrivals/s. Four VUs serve them (so the
/// requests that were in flight when it froze are few); the rest wait for a VU
/// and start late. Measured from intended start the freeze is a second of
/// latency; the service time hides it. The closed model with
/// `--expected-interval` shows it too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stall_shows_in_intended_start_latency_but_not_in_service_time() {
    let t = target_with(TargetConfig {
        stall: Some(parse_stall("5s:1s").unwrap()),
        workers: 64,
        ..TargetConfig::default()
    })
    .await;
    let mut p = rate_profile(
        &t.url(""),
        "/delay/10",
        flat_stages(200, Duration::from_secs(6)),
    );
    p.load.max_vus = Some(4);
    p.load.pre_allocated_vus = Some(4);
    let out = run(p, opts()).await;
    let overall = &out.record.overall;
    let intended_p99 = quantile_ms(&overall.hist, 0.99);
    let service_p99 = quantile_ms(overall.service.as_ref().unwrap(), 0.99);
    assert!(
        intended_p99 >= 900.0,
        "intended-start p99 {intended_p99} ms"
    );
    assert!(service_p99 < 50.0, "service-time p99 {service_p99} ms");
    assert!(overall.requests() > 1000, "{} requests", overall.requests());

    // The closed model, corrected for a 5 ms interval, shows the stall as well.
    let t = target_with(TargetConfig {
        stall: Some(parse_stall("5s:1s").unwrap()),
        ..TargetConfig::default()
    })
    .await;
    let p = profile(
        &t.url(""),
        &[("/delay/10", 1)],
        flat(2, Duration::from_secs(3)),
    );
    let out = run(
        p,
        loadpilot::cli::RunOptions {
            expected_interval: Some(Duration::from_millis(5)),
            ..opts()
        },
    )
    .await;
    let overall = &out.record.overall;
    assert!(matches!(out.record.latency, LatencyBasis::Corrected { .. }));
    let corrected_p99 = quantile_ms(&overall.hist, 0.99);
    let raw_p50 = quantile_ms(overall.service.as_ref().unwrap(), 0.50);
    assert!(corrected_p99 >= 500.0, "corrected p99 {corrected_p99} ms");
    assert!(raw_p50 < 50.0, "raw p50 {raw_p50} ms");
    assert_eq!(out.summary.latency_basis, "corrected");
}

/// With one VU that is always busy for 200 ms, most arrivals at 50/s cannot
/// start within the queue bound of a short run's end: they are counted as
/// dropped, and a `dropped_rate` threshold fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arrivals_with_no_vu_free_are_dropped_and_counted() {
    let t = target().await;
    let mut p = rate_profile(
        &t.url(""),
        "/delay/200",
        flat_stages(50, Duration::from_secs(2)),
    );
    p.load.max_vus = Some(1);
    p.load.pre_allocated_vus = Some(1);
    p.thresholds
        .push(p.parse_threshold_expr("dropped_rate < 1%").unwrap());
    let out = run(p, opts()).await;
    let overall = &out.record.overall;
    assert!(
        overall.requests() <= 12,
        "one VU: {} requests",
        overall.requests()
    );
    assert!(
        overall.dropped_total() >= 80,
        "dropped {} of {} arrivals, {} requests",
        overall.dropped_total(),
        overall.arrivals,
        overall.requests()
    );
    assert_eq!(
        overall.requests() + overall.dropped_total(),
        overall.arrivals,
        "every arrival was either sent or dropped"
    );
    assert!(!out.summary.passed, "dropped_rate < 1% must fail");
    let reasons = &out.summary.arrivals.as_ref().unwrap().dropped_by_reason;
    assert!(reasons.contains_key("no VU free"), "{reasons:?}");
}

/// The operator's keys steer the rate: `+` adds to it, and the log says so in
/// requests per second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_steers_the_rate() {
    let t = target().await;
    let p = rate_profile(&t.url(""), "/ping", flat_stages(20, Duration::from_secs(4)));
    let session = Session::start(p, &opts(), None).expect("session starts");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    session
        .commands
        .send(Command::AddVus { delta: 80 })
        .await
        .unwrap();
    // A manual target holds the schedule, so the run is stopped by hand.
    tokio::time::sleep(Duration::from_millis(1700)).await;
    session.commands.send(Command::Stop).await.unwrap();
    let out = tokio::time::timeout(Duration::from_secs(60), session.wait())
        .await
        .unwrap()
        .unwrap();
    let rows = &out.record.series;
    // Seconds 0 and 1 at 20/s; seconds 2 and 3 at 100/s.
    let at = |s: usize| rows.get(s).map_or(0, |r| r.requests);
    assert!((15..=25).contains(&at(0)), "second 0: {}", at(0));
    assert!((85..=110).contains(&at(2)), "second 2: {}", at(2));
    assert_eq!(rows[2].target_vus, 100, "the target is the rate");
    let action = &out.record.actions[0];
    assert_eq!((action.vus_before, action.vus_after), (20, 100));
    assert!(
        out.record
            .log
            .iter()
            .any(|e| e.text.contains("rate 20/s → 100/s")),
        "{:?}",
        out.record.log
    );
}

/// Waits (up to 5 s) for a frame that satisfies `pred`.
async fn frame_where(
    frames: &tokio::sync::watch::Receiver<std::sync::Arc<loadpilot::metrics::dashboard::Dashboard>>,
    what: &str,
    pred: impl Fn(&loadpilot::metrics::dashboard::Dashboard) -> bool,
) -> std::sync::Arc<loadpilot::metrics::dashboard::Dashboard> {
    let mut frames = frames.clone();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        if pred(&frames.borrow_and_update()) {
            return frames.borrow().clone();
        }
        if tokio::time::timeout_at(deadline, frames.changed())
            .await
            .is_err()
        {
            panic!("timed out waiting for {what}");
        }
    }
}

/// `a` and `v` as the engine applies them: a closed run switches to an arrival
/// rate (the VUs retire, arrivals follow the new timeline), then back to VUs at
/// the concurrency it had; each switch is logged and recorded, and `report
/// --format stages` gives the curve per model.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_models_mid_run_changes_the_executor_and_is_replayed() {
    let t = target().await;
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("run.json");
    // 2 VUs against a 20 ms endpoint: about 100 requests/s, closed model.
    let p = profile(
        &t.url(""),
        &[("/delay/20", 1)],
        flat_stages(2, Duration::from_secs(30)),
    );
    let mut o = opts();
    o.no_snapshot = false;
    o.out = Some(out_path.clone());
    let session = Session::start(p, &o, None).unwrap();
    let frames = session.frames.clone();
    frame_where(&frames, "throughput", |f| {
        f.rps_now > 10.0 && f.vus_active == 2
    })
    .await;
    session
        .commands
        .send(Command::SwitchToRate { rate: 40 })
        .await
        .unwrap();
    let f = frame_where(&frames, "the open model", |f| f.model == LoadModel::Rate).await;
    assert_eq!(f.vus_target, 40, "the rate the command asked for");
    // Two whole seconds at 40/s: the arrivals follow the new timeline.
    let at = f.elapsed.as_secs() as u32 + 1;
    frame_where(&frames, "two seconds in the open model", |f| {
        f.series.last().is_some_and(|r| r.t_s > at + 2)
    })
    .await;
    session.commands.send(Command::SwitchToVus).await.unwrap();
    let f = frame_where(&frames, "VUs again", |f| f.model == LoadModel::Vus).await;
    // 40/s × 20 ms is about one request in flight (a few on a loaded machine,
    // where responses slow down): the busy VUs, far below the 40 of the rate.
    assert!((1..=10).contains(&f.vus_target), "{} VUs", f.vus_target);
    // A second switch to VUs is a no-op, said so in the log.
    session.commands.send(Command::SwitchToVus).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    session.commands.send(Command::Stop).await.unwrap();
    let out = session.wait().await.unwrap();
    let rec = &out.record;
    let rows: Vec<_> = rec
        .series
        .iter()
        .filter(|r| r.t_s > at && r.t_s <= at + 2)
        .collect();
    for r in &rows {
        assert!(
            (30..=50).contains(&r.requests),
            "second {}: {} requests at 40/s",
            r.t_s,
            r.requests
        );
    }
    assert!(
        rec.overall.arrivals > 0,
        "the open part counted its arrivals"
    );
    let log: Vec<&str> = rec.log.iter().map(|e| e.text.as_str()).collect();
    assert!(
        log.iter()
            .any(|l| l.starts_with("switch to arrival rate 40/s (2 VUs → 40/s)")),
        "{log:?}"
    );
    assert!(
        log.iter().any(|l| l.starts_with("switch to VUs (40/s → ")),
        "{log:?}"
    );
    assert!(
        log.iter().any(|l| l.contains("the run already counts VUs")),
        "{log:?}"
    );
    assert_eq!(
        rec.actions
            .iter()
            .filter(|a| matches!(
                a.command,
                Command::SwitchToRate { .. } | Command::SwitchToVus
            ))
            .count(),
        2,
        "each switch is an action (the no-op is not)"
    );
    assert_eq!(
        rec.latency,
        LatencyBasis::IntendedStart,
        "timed from intended start since the switch"
    );
    assert_stages_replay_each_part(&out_path);
}

/// `report --format stages` of a run switched VUs → rate → VUs: one valid TOML
/// file whose live block is the VU part and whose later parts are commented out.
fn assert_stages_replay_each_part(out_path: &std::path::Path) {
    use loadpilot::cli::ReportFormat;
    let snap = loadpilot::snapshot::read(out_path).unwrap();
    let stages =
        String::from_utf8(loadpilot::export::render(&snap, ReportFormat::Stages).unwrap()).unwrap();
    assert!(
        stages.contains("switched its load model 2 time(s)"),
        "{stages}"
    );
    // Part 1 is live TOML in VUs; part 2 is the rate part, commented out.
    assert!(
        stages.contains("\n[load]\nstages = [\n  { duration = "),
        "{stages}"
    );
    assert!(stages.contains("target = 2 },\n]"), "{stages}");
    assert!(
        stages.contains("# part 2: ") && stages.contains("# executor = \"arrival-rate\""),
        "{stages}"
    );
    assert!(
        stages.contains("#   { duration = \"0s\", target = 40 },"),
        "{stages}"
    );
    assert!(stages.contains("# part 3: "), "{stages}");
    let parsed: toml::Value = toml::from_str(&stages).expect("the output is one valid TOML file");
    assert!(
        parsed["load"]["stages"]
            .as_array()
            .is_some_and(|s| !s.is_empty())
    );
}
