//! Session snapshots: round trip of a real run, redaction, atomic writes, schema
//! versions, report formats and compare/merge on fixture snapshots.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use loadpilot::cli::ReportFormat;
use loadpilot::command::Command as OpCommand;
use loadpilot::compare::{Comparison, FailRule, Metric, Verdict};
use loadpilot::metrics::aggregator::{ActionRecord, RunRecord};
use loadpilot::metrics::dashboard::{Dashboard, LogEntry, LogKind, Percentiles, SecondRow};
use loadpilot::metrics::sample::Sample;
use loadpilot::metrics::scope::ScopeStats;
use loadpilot::outcome::OutcomeClass;
use loadpilot::report::Summary;
use loadpilot::session::Session;
use loadpilot::snapshot::{self, Snapshot, SnapshotMeta};
use loadpilot::threshold::parse_threshold;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/snapshots")
        .join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reopened_snapshot_shows_exactly_the_live_figures() {
    let t = target().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.json");
    let mut p = profile(
        &t.url(""),
        &[("/api/items", 3), ("/status/429", 1), ("/delay/5", 1)],
        stages("0s:6,2s:6,1s:3"),
    );
    p.thresholds.push(parse_threshold("p95 < 5s").unwrap());
    let mut o = opts();
    o.no_snapshot = false;
    o.out = Some(out.clone());
    let session = Session::start(p, &o, None).unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    session
        .commands
        .send(OpCommand::AddVus { delta: 2 })
        .await
        .unwrap();
    // A manual change holds the schedule; let it run on to its end.
    tokio::time::sleep(Duration::from_millis(300)).await;
    session.commands.send(OpCommand::Resume).await.unwrap();
    let live = session.wait().await.unwrap();
    assert_eq!(live.snapshot.as_deref(), Some(out.as_path()));

    let snap = snapshot::read(&out).unwrap();
    assert!(snap.complete);
    let reopened = Summary::from_record(&snap.to_record().unwrap());
    assert_eq!(live.summary.worker_threads, Some(2));
    assert_eq!(
        reopened,
        figures(&live.summary),
        "percentiles, counts and classes must match the live run"
    );
    assert!(live.summary.overall.classes.contains_key("429"));
    // The per-second series, events and actions came along.
    assert_eq!(snap.series, live.record.series);
    assert_eq!(snap.actions.len(), 2, "{:?}", snap.actions);
    assert_eq!(
        (snap.actions[0].vus_before, snap.actions[0].vus_after),
        (6, 8)
    );
    assert_eq!(snap.actions[1].command, OpCommand::Resume);
    assert!(snap.events.iter().any(|e| e.text.contains("+2 VUs")));
    assert_eq!(snap.second_histograms.len(), snap.series.len());
    assert!(!snap.stages_stats.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journey_run_round_trips_with_personas_flows_and_checks() {
    let t = target().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("journey.json");
    let vars = [("BASE_URL".to_string(), t.url(""))];
    let p =
        loadpilot::profile::load_profile(Path::new("profiles/mixed-personas.toml"), &vars).unwrap();
    let mut o = opts();
    o.no_snapshot = false;
    o.out = Some(out.clone());
    o.stages = Some("0s:10,3s:10".into());
    let live = Session::start(p, &o, None).unwrap().wait().await.unwrap();
    assert!(
        live.summary.journey.is_some(),
        "the live summary has a journey section"
    );
    let snap = snapshot::read(&out).unwrap();
    assert_eq!(
        Summary::from_record(&snap.to_record().unwrap()),
        figures(&live.summary)
    );
    let names: Vec<&str> = snap.personas.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["new visitor", "registered", "power user"]);
    let persona_total: u64 = snap
        .personas
        .iter()
        .map(|p| p.stats.classes.values().sum::<u64>())
        .sum();
    assert_eq!(
        persona_total, live.summary.overall.count,
        "every request belongs to one persona"
    );
    assert!(snap.journey.as_ref().is_some_and(|j| j.checks_passed > 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_the_snapshot_file() {
    let t = target().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.json");
    let mut p = profile(
        &t.url(""),
        &[("/echo?token=qs-secret-5150&page=2", 1)],
        flat(1, Duration::from_millis(500)),
    );
    p.defaults
        .headers
        .push(("Authorization".into(), "Bearer sk_live_TOPSECRET123".into()));
    p.requests[0]
        .headers
        .push(("Cookie".into(), "session=cookie-secret-777".into()));
    p.requests[0]
        .headers
        .push(("X-Api-Key".into(), "apikey-secret-4242".into()));
    let mut o = opts();
    o.no_snapshot = false;
    o.out = Some(out.clone());
    o.vars = vec![
        ("DB_PASSWORD".into(), "hunter2-pw-secret".into()),
        ("REGION".into(), "eu-west".into()),
    ];
    let live = Session::start(p, &o, None).unwrap().wait().await.unwrap();
    assert!(live.summary.overall.count > 0);
    let bytes = std::fs::read(&out).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    for secret in [
        "sk_live_TOPSECRET123",
        "cookie-secret-777",
        "apikey-secret-4242",
        "hunter2-pw-secret",
        "qs-secret-5150",
    ] {
        assert!(!text.contains(secret), "{secret} leaked into the snapshot");
    }
    assert!(text.contains("[redacted]"));
    assert!(text.contains("eu-west"), "non-secret variables are kept");
}

#[test]
fn a_failed_write_leaves_the_previous_snapshot_intact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.json");
    let good = std::fs::read(fixture("before.json")).unwrap();
    loadpilot::fsutil::write_atomic(&path, &good).unwrap();
    let failed = loadpilot::fsutil::write_atomic_with(&path, |file| {
        use std::io::Write;
        file.write_all(&good[..good.len() / 2])?;
        Err(std::io::Error::other("disk full (injected)"))
    });
    assert!(failed.is_err());
    assert_eq!(
        std::fs::read(&path).unwrap(),
        good,
        "the good file was clobbered"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "temp file left behind: {names:?}");
    snapshot::read(&path).unwrap();
}

#[test]
fn other_schema_versions_are_rejected_naming_both_versions() {
    let dir = tempfile::tempdir().unwrap();
    let mut value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture("before.json")).unwrap()).unwrap();
    for (version, hint) in [(0, "re-run"), (7, "upgrade")] {
        value["schema_version"] = version.into();
        let path = dir.path().join(format!("v{version}.json"));
        std::fs::write(&path, value.to_string()).unwrap();
        let out = loadpilot().arg("report").arg(&path).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("schema version {version}"))
                && stderr.contains("reads version 1"),
            "{stderr}"
        );
        assert!(stderr.contains(hint), "{stderr}");
    }
    let not = dir.path().join("not.json");
    std::fs::write(&not, "{\"hello\": 1}").unwrap();
    let out = loadpilot().arg("report").arg(&not).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a loadpilot snapshot"));
}

fn report(format: ReportFormat) -> String {
    let snap = snapshot::read(&fixture("after.json")).unwrap();
    String::from_utf8(loadpilot::export::render(&snap, format).unwrap()).unwrap()
}

#[test]
fn report_markdown_and_junit_match_their_snapshot_files() {
    insta::assert_snapshot!("report_markdown", report(ReportFormat::Markdown));
    insta::assert_snapshot!("report_junit", report(ReportFormat::Junit));
}

/// Issue 13 point 5: the summary's tables fit 80 and 160 columns (columns
/// dropped in a fixed order, only the last message wrapped), times under 1 ms
/// read in µs, and a request with no samples reads `—`, not zeros.
#[test]
fn the_summary_fits_80_and_160_columns() {
    let record = snapshot::read(&fixture("after.json"))
        .unwrap()
        .to_record()
        .unwrap();
    let mut summary = Summary::from_record(&record);
    let mut idle = summary.requests[0].clone();
    idle.name = "never-ran".into();
    idle.stats = loadpilot::report::ScopeSummary {
        count: 0,
        errors: 0,
        error_rate: 0.0,
        rps: 0.0,
        min_ms: 0.0,
        mean_ms: 0.0,
        p50_ms: 0.0,
        p90_ms: 0.0,
        p95_ms: 0.0,
        p99_ms: 0.0,
        max_ms: 0.0,
        classes: Default::default(),
    };
    summary.requests.push(idle);
    summary.requests[0].stats.p50_ms = 0.203;
    for width in [80u16, 160] {
        let text = summary.render_text_width(Some(width));
        for line in text.lines() {
            assert!(
                line.chars().count() <= usize::from(width),
                "{width} columns: {line:?} is wider:\n{text}"
            );
        }
        let idle_row = text
            .lines()
            .find(|l| l.contains("never-ran"))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(
            idle_row.contains("—") && !idle_row.contains("0.0ms"),
            "{idle_row}"
        );
        assert!(text.contains("203µs"), "{text}");
        insta::assert_snapshot!(format!("summary_{width}_columns"), text);
    }
}

#[test]
fn report_data_formats() {
    let json: serde_json::Value = serde_json::from_str(&report(ReportFormat::Json)).unwrap();
    assert_eq!(json["overall"]["count"], 6000);
    assert_eq!(json["passed"], false);
    let csv = report(ReportFormat::Csv);
    assert_eq!(csv.lines().count(), 61);
    assert!(csv.lines().nth(1).unwrap().starts_with("0,100,"));
    let ndjson = report(ReportFormat::Ndjson);
    let rows: Vec<serde_json::Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 60);
    assert_eq!(rows[0]["classes"]["429"], 3);
    let log = report(ReportFormat::HdrLog);
    assert!(log.contains("#[StartTime: "), "{log}");
    let intervals: Vec<&str> = log
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('"'))
        .collect();
    assert_eq!(intervals.len(), 60);
    assert!(intervals[0].starts_with("0.000,1.000,"), "{}", intervals[0]);
    let stages = report(ReportFormat::Stages);
    assert!(
        stages.contains("[load]") && stages.contains("{ duration = \"10s\", target = 20 }"),
        "{stages}"
    );
    let text = report(ReportFormat::Text);
    assert!(
        text.contains("loadpilot summary: checkout") && text.contains("FAIL"),
        "{text}"
    );
}

#[test]
fn compare_finds_the_known_30_percent_p95_regression() {
    let before = snapshot::read(&fixture("before.json")).unwrap();
    let after = snapshot::read(&fixture("after.json")).unwrap();
    let c = Comparison::new(&before, &after).unwrap();
    let p95 = c
        .rows
        .iter()
        .find(|r| r.scope == "overall" && r.metric == Metric::P95)
        .unwrap();
    assert_eq!(p95.verdict, Verdict::Worse);
    let rel = p95.relative.unwrap();
    assert!((rel - 0.30).abs() < 0.01, "p95 changed by {rel}");
    let rps = c
        .rows
        .iter()
        .find(|r| r.scope == "overall" && r.metric == Metric::Rps)
        .unwrap();
    assert_eq!(rps.verdict, Verdict::WithinNoise);
    let rate = c
        .rows
        .iter()
        .find(|r| r.scope == "overall" && r.metric == Metric::ClassRate(OutcomeClass::S429))
        .unwrap();
    assert_eq!(rate.verdict, Verdict::Worse);
    assert_eq!(c.failures(&[FailRule::parse("p95 +10%").unwrap()]).len(), 1);
    assert!(
        c.failures(&[FailRule::parse("p95 +40%").unwrap()])
            .is_empty()
    );
    assert_eq!(
        c.failures(&[FailRule::parse("search.p99 +5ms").unwrap()])
            .len(),
        1
    );

    // The binary: exit 99 on a regression gate, 0 within it.
    let run = |rule: &str| {
        loadpilot()
            .args(["compare"])
            .arg(fixture("before.json"))
            .arg(fixture("after.json"))
            .args(["--fail-if", rule])
            .output()
            .unwrap()
    };
    let out = run("p95 +10%");
    assert_eq!(out.status.code(), Some(99));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("WORSE") && stdout.contains("FAIL p95 +10%"),
        "{stdout}"
    );
    assert_eq!(run("p95 +50%").status.code(), Some(0));
    let md = loadpilot()
        .arg("compare")
        .arg(fixture("before.json"))
        .arg(fixture("after.json"))
        .args(["--format", "markdown"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&md.stdout).contains("| overall | p95 |"));
}

#[test]
fn merge_adds_histograms_exactly_and_series_by_second() {
    let a = snapshot::read(&fixture("before.json")).unwrap();
    let mut b = a.clone();
    b.started_at += chrono::Duration::seconds(5);
    let merged = loadpilot::merge::merge(&[a.clone(), b.clone()]).unwrap();
    let mut expected = a.overall.latency_us.clone();
    expected.add(&b.overall.latency_us).unwrap();
    assert_eq!(merged.overall.latency_us, expected);
    assert_eq!(merged.overall.classes["ok"], a.overall.classes["ok"] * 2);
    assert_eq!(merged.series.len(), 65);
    assert_eq!(merged.series[0].requests, 100);
    assert_eq!(merged.series[10].requests, 200);
    assert_eq!(merged.series[62].requests, 100);
    // Overlapping seconds: percentiles from the added histograms, equal inputs keep them.
    assert_eq!(
        merged.series[10].latency.p95_us,
        a.series[5]
            .latency
            .p95_us
            .max(a.series[10].latency.p95_us)
            .min(merged.series[10].latency.p95_us)
    );
    assert_eq!(merged.requests.len(), 2);

    // The binary writes a snapshot that reads back; a different profile is refused.
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("all.json");
    let out = loadpilot()
        .arg("merge")
        .arg(fixture("before.json"))
        .arg(fixture("before.json"))
        .arg("-o")
        .arg(&out_path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        snapshot::read(&out_path).unwrap().overall.classes["ok"],
        a.overall.classes["ok"] * 2
    );
    let mut other = a.clone();
    other.profile_name = "other".into();
    assert!(
        loadpilot::merge::merge(&[a, other])
            .unwrap_err()
            .contains("different profiles")
    );
}

#[test]
fn an_hour_at_200_rps_stays_under_20_mb() {
    let record = synthetic(SyntheticRun {
        seconds: 3600,
        per_second: 200,
        scale: 1.0,
        errors_429: 2,
        started: "2026-11-20T10:00:00Z",
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hour.json");
    let snap = Snapshot::from_record(&record, &meta());
    snapshot::write(&path, &snap, &[]).unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size < 20 * 1024 * 1024, "{size} bytes");
    let zst = dir.path().join("hour.json.zst");
    snapshot::write(&zst, &snap, &[]).unwrap();
    assert!(std::fs::metadata(&zst).unwrap().len() < size / 2);
    assert_eq!(
        snapshot::read(&zst).unwrap().overall.latency_us,
        snap.overall.latency_us
    );
}

// ---- fixtures --------------------------------------------------------------

struct SyntheticRun {
    seconds: u32,
    per_second: u32,
    /// Latency multiplier (1.3 = 30% slower).
    scale: f64,
    /// 429s per second.
    errors_429: u32,
    started: &'static str,
}

fn meta() -> SnapshotMeta {
    let mut p = loadpilot::profile::Profile::for_url(
        "http://127.0.0.1:8080/",
        stages("10s:20,40s:20,10s:0"),
    )
    .unwrap();
    p.name = "checkout".into();
    SnapshotMeta::new(&p, &opts())
}

/// Request `i` of a synthetic second.
fn sample(run: &SyntheticRun, i: u32, with_timeout: bool) -> Sample {
    let class = if i < run.errors_429 {
        OutcomeClass::S429
    } else if i == run.per_second - 1 && with_timeout {
        OutcomeClass::Timeout
    } else {
        OutcomeClass::Ok
    };
    let base = 10_000.0 + f64::from(i % 100) * 400.0;
    Sample {
        latency_us: (base * run.scale) as u32,
        schedule_delay_us: None,
        request: (i % 2) as u16,
        status: match class {
            OutcomeClass::S429 => 429,
            OutcomeClass::Ok => 200,
            _ => 0,
        },
        class,
    }
}

/// A deterministic run: two requests, a ramp 0→20→20→0 over 60 s, latencies
/// spread 10–50 ms (times `scale`), some 429s and a timeout every 10 s.
fn synthetic(run: SyntheticRun) -> RunRecord {
    let names = vec!["home".to_string(), "search".to_string()];
    let mut overall = ScopeStats::default();
    let mut per_request = vec![ScopeStats::default(), ScopeStats::default()];
    let mut per_stage = vec![
        ScopeStats::default(),
        ScopeStats::default(),
        ScopeStats::default(),
    ];
    let mut series = Vec::new();
    let mut second_histograms = Vec::new();
    // Seconds come in two shapes (with or without the timeout); each shape's
    // percentiles and encoding are computed once, which keeps long runs fast.
    let mut shapes: Vec<Option<(ScopeStats, Vec<u8>, Percentiles)>> = vec![None, None];
    for t in 0..run.seconds {
        let with_timeout = t % 10 == 9;
        let stage = match t % 60 {
            0..=9 => 0,
            10..=49 => 1,
            _ => 2,
        };
        let shape = shapes[usize::from(with_timeout)].get_or_insert_with(|| {
            let mut second = ScopeStats::default();
            for i in 0..run.per_second {
                second.add(&sample(&run, i, with_timeout));
            }
            let encoded = loadpilot::metrics::hist_codec::encode(&second.hist);
            let percentiles = second.percentiles();
            (second, encoded, percentiles)
        });
        let (second, encoded, percentiles) = (&shape.0, shape.1.clone(), shape.2);
        overall.merge(second);
        per_stage[stage].merge(second);
        for i in 0..run.per_second {
            let s = sample(&run, i, with_timeout);
            per_request[usize::from(s.request)].add(&s);
        }
        let target = match t % 60 {
            0..=9 => 2 * (t % 60 + 1),
            10..=49 => 20,
            s => 20 - 2 * (s - 49),
        };
        series.push(SecondRow {
            t_s: t,
            requests: second.requests(),
            classes: second.classes,
            latency: percentiles,
            vus: target,
            target_vus: target,
            bytes_in: u64::from(run.per_second) * 512,
            bytes_out: u64::from(run.per_second) * 128,
            host_mem_used: 8 << 30,
            host_mem_total: 16 << 30,
            target_rss: 300 << 20,
            ..SecondRow::default()
        });
        second_histograms.push(encoded);
    }
    let at = |s: u64| Duration::from_secs(s);
    let mut by_status = vec![Vec::new(); OutcomeClass::COUNT];
    by_status[OutcomeClass::S429.index()] =
        vec![(429, overall.classes[OutcomeClass::S429.index()])];
    let mut last_message = vec![None; OutcomeClass::COUNT];
    last_message[OutcomeClass::S429.index()] = Some("search: HTTP 429".into());
    last_message[OutcomeClass::Timeout.index()] =
        Some("home: no complete response within 10s".into());
    RunRecord {
        profile_name: "checkout".into(),
        target: "http://127.0.0.1:8080".into(),
        started_at: run.started.parse().unwrap(),
        duration: Duration::from_secs(u64::from(run.seconds)),
        complete: true,
        journey: Default::default(),
        latency: Default::default(),
        health: Default::default(),
        stage_starts: Vec::new(),
        stage_names: Vec::new(),
        stages: Vec::new(),
        request_names: names,
        overall,
        per_request,
        by_status,
        last_message,
        bytes_in: u64::from(run.seconds * run.per_second) * 512,
        bytes_out: u64::from(run.seconds * run.per_second) * 128,
        series,
        second_histograms,
        per_stage,
        log: vec![
            LogEntry {
                at: at(0),
                kind: LogKind::Stage,
                text: "stage 1/3: to 20 VUs over 10s".into(),
            },
            LogEntry {
                at: at(10),
                kind: LogKind::Stage,
                text: "stage 2/3: to 20 VUs over 40s".into(),
            },
            LogEntry {
                at: at(30),
                kind: LogKind::Annotation,
                text: "note: cache flushed".into(),
            },
            LogEntry {
                at: at(50),
                kind: LogKind::Stage,
                text: "stage 3/3: to 0 VUs over 10s".into(),
            },
        ],
        actions: vec![ActionRecord {
            at: at(30),
            command: OpCommand::Annotate {
                text: "cache flushed".into(),
            },
            vus_before: 20,
            vus_after: 20,
        }],
        thresholds: vec![
            parse_threshold("p95 < 55ms").unwrap(),
            parse_threshold("error_rate < 5%").unwrap(),
        ],
        aborted_by_threshold: false,
        last_frame: Arc::new(Dashboard::empty("checkout", "http://127.0.0.1:8080")),
    }
}

/// Regenerates `tests/fixtures/snapshots/{before,after}.json`:
/// `LOADPILOT_WRITE_FIXTURES=1 cargo test --test snapshots write_fixtures -- --ignored`
#[test]
#[ignore]
fn write_fixtures() {
    assert!(
        std::env::var_os("LOADPILOT_WRITE_FIXTURES").is_some(),
        "set LOADPILOT_WRITE_FIXTURES=1"
    );
    let before = synthetic(SyntheticRun {
        seconds: 60,
        per_second: 100,
        scale: 1.0,
        errors_429: 2,
        started: "2026-11-20T10:00:00Z",
    });
    let after = synthetic(SyntheticRun {
        seconds: 60,
        per_second: 100,
        scale: 1.3,
        errors_429: 3,
        started: "2026-11-21T10:00:00Z",
    });
    for (name, record) in [("before.json", before), ("after.json", after)] {
        let snap = Snapshot::from_record(&record, &meta());
        let mut value = serde_json::to_value(&snap).unwrap();
        // A fixed version keeps the fixtures stable across releases.
        value["loadpilot_version"] = "0.1.0".into();
        loadpilot::fsutil::write_atomic(
            &fixture(name),
            serde_json::to_string_pretty(&value).unwrap().as_bytes(),
        )
        .unwrap();
    }
}

/// The live summary's figures: the runtime's worker count describes the machine
/// that ran the load, not the run, so a snapshot does not carry it.
fn figures(live: &Summary) -> Summary {
    Summary {
        worker_threads: None,
        ..live.clone()
    }
}
