//! Named stages, per-stage results, stage-scoped and sliding-window thresholds,
//! and recovery time, on the demo target with one worker answering `/delay/50`:
//! one VU is served at once (p95 ≈ 50 ms), eight queue up (p95 ≈ 400 ms), so a
//! stress stage has a knee and the stage after it recovers.

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;
use loadpilot::demo_target::stall::parse_stall;
use loadpilot::demo_target::{LocalTarget, TargetConfig};
use loadpilot::profile::parse_profile;
use loadpilot::session::Session;

async fn one_worker() -> LocalTarget {
    target_with(TargetConfig {
        workers: 1,
        ..TargetConfig::default()
    })
    .await
}

/// calm (1 VU) → jump to 8 → stress (8 VUs) → drop to 1 → recovery (1 VU).
const STAGES: &str = "calm=2s:1,0s:8,stress=2s:8,0s:1,recovery=3s:1";

fn stage<'a>(summary: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    summary["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no stage {name} in {summary:#}"))
}

fn threshold<'a>(summary: &'a serde_json::Value, expr: &str) -> &'a serde_json::Value {
    summary["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["expr"] == expr)
        .unwrap_or_else(|| panic!("no threshold {expr} in {summary:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_stages_have_their_own_results_thresholds_and_recovery() {
    let t = one_worker().await;
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("summary.json");
    let snapshot = dir.path().join("run.json");
    let mut cmd = loadpilot();
    cmd.args(["run", &t.url("/delay/50"), "--headless", "--out"])
        .arg(&snapshot)
        .args(["--stages", STAGES])
        .args(["--threshold", "calm.p95 < 150ms"])
        .args(["--threshold", "stress.p95 < 150ms"])
        .args(["--threshold", "p95 < 2s"])
        .args(["--threshold", "recovery_time < 10s"])
        .arg("--summary-json")
        .arg(&json);
    let out = output(cmd).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(99), "{stdout}{}", text(&out.stderr));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    // Per-stage results: the knee is in the stress stage only.
    let (calm, stress, recovery) = (
        stage(&summary, "calm"),
        stage(&summary, "stress"),
        stage(&summary, "recovery"),
    );
    assert_eq!(
        (calm["stage"].as_u64(), calm["target"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(stress["target"], 8);
    assert!(calm["p95_ms"].as_f64().unwrap() < 150.0, "{calm}");
    assert!(stress["p95_ms"].as_f64().unwrap() > 150.0, "{stress}");
    assert!(recovery["count"].as_u64().unwrap() > 0, "{recovery}");
    assert!(stress["from_s"].as_f64().unwrap() >= 1.8, "{stress}");
    // Stage-scoped thresholds read their stage.
    assert_eq!(threshold(&summary, "calm.p95 < 150ms")["passed"], true);
    assert_eq!(threshold(&summary, "stress.p95 < 150ms")["passed"], false);
    // Recovery after the drop: p95 back under the run's threshold at once; the
    // error rate (no threshold) within 10% of calm's, the stage at that load.
    let r = &summary["recoveries"][0];
    assert_eq!(r["stage"], 3, "the unnamed drop stage (0-based 3): {r}");
    assert_eq!(r["reference"], "calm", "{r}");
    assert_eq!(r["p95_limit_ms"], 2000.0);
    let seconds = r["seconds"].as_f64().expect("recovered");
    assert!(seconds < 10.0, "{r}");
    let rt = threshold(&summary, "recovery_time < 10s");
    assert_eq!(rt["passed"], true, "{rt}");
    assert!((rt["value"].as_f64().unwrap() - seconds * 1000.0).abs() < 1e-6);
    // The text summary has the stage table and the recovery line.
    assert!(stdout.contains("│ stress"), "{stdout}");
    assert!(
        stdout.contains("recovery after the drop into stage 4"),
        "{stdout}"
    );
}

/// A failing window has its own recovery time, whatever the load does: at 100
/// arrivals/s (at most 50 VUs) against a target that freezes for 1 s every 4 s,
/// `p95_2s < 300ms` fails after each freeze, and the summary gives the seconds
/// from the first failing second until a second's own p95 is back under 300 ms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_failing_window_has_a_recovery_time() {
    let t = target_with(TargetConfig {
        stall: Some(parse_stall("4s:1s").unwrap()),
        workers: 64,
        ..TargetConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("summary.json");
    let snapshot = dir.path().join("run.json");
    let mut cmd = loadpilot();
    cmd.args(["run", &t.url("/delay/10"), "--headless"])
        .args(["--rate", "100", "--max-vus", "50", "--duration", "9s"])
        .args(["--threshold", "p95_2s < 300ms"])
        .args(["--threshold", "recovery_time < 8s"])
        .arg("--summary-json")
        .arg(&json)
        .arg("--out")
        .arg(&snapshot);
    let out = output(cmd).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(99), "{stdout}{}", text(&out.stderr));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    // --max-vus is applied: a freeze holds 100 arrivals, 50 VUs take half of
    // them and the rest wait (without the cap the pool would grow to take them all).
    let snap: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&snapshot).unwrap()).unwrap();
    let peak = snap["series"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|row| row["vus"].as_u64())
        .max();
    assert_eq!(peak, Some(50), "{:#}", snap["series"]);
    let windows: Vec<&serde_json::Value> = summary["recoveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["cause"] == "failing_window")
        .collect();
    assert!(!windows.is_empty(), "{summary:#}");
    // The freezes follow the target's clock, not the run's: one may fall in the
    // run's last seconds and not be over by the end ("not recovered", null).
    let mut worst: f64 = 0.0;
    for r in &windows {
        assert_eq!(r["threshold"], "p95_2s < 300ms", "{r}");
        assert_eq!(r["p95_limit_ms"], 300.0, "{r}");
        assert!(r["error_rate_limit"].is_null(), "no error limit: {r}");
        let at = r["at_s"].as_f64().unwrap();
        match r["seconds"].as_f64() {
            Some(seconds) => {
                assert!((0.0..4.0).contains(&seconds), "{r}");
                worst = worst.max(seconds);
            }
            None => {
                assert!(at >= 6.0, "only a late failure may be unrecovered: {r}");
                worst = f64::INFINITY;
            }
        }
    }
    assert!(
        windows.iter().any(|r| r["seconds"].is_number()),
        "a freeze early in the run recovers: {windows:#?}"
    );
    let rt = threshold(&summary, "recovery_time < 8s");
    if worst.is_finite() {
        assert_eq!(rt["passed"], true, "{rt}");
        assert!(
            (rt["value"].as_f64().unwrap() - worst * 1000.0).abs() < 1e-6,
            "{rt}"
        );
    } else {
        assert_eq!(rt["passed"], false, "not recovered fails: {rt}");
    }
    assert!(
        stdout.contains("recovery after p95_2s < 300ms failed at"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_threshold_catches_the_knee_live_and_aborts() {
    let t = one_worker().await;
    let toml = format!(
        r#"
name = "knee"
base_url = "{}"

[load]
stages = [
  {{ name = "calm", duration = "2s", target = 1 }},
  {{ duration = "0s", target = 8 }},
  {{ name = "stress", duration = "4s", target = 8 }},
  {{ name = "after", duration = "3s", target = 1 }},
]

[[request]]
name = "delay"
path = "/delay/50"

[thresholds]
"p95_1s" = "< 150ms"
abort_on_fail = true
"#,
        t.url("")
    );
    let profile = parse_profile(&toml, Path::new("knee.toml"), &[]).unwrap();
    assert_eq!(
        profile.load.stage_names,
        [
            Some("calm".into()),
            None,
            Some("stress".into()),
            Some("after".into())
        ]
    );
    let session = Session::start(profile, &opts(), None).expect("starts");
    let out = tokio::time::timeout(Duration::from_secs(30), session.wait())
        .await
        .expect("ends in time")
        .expect("run ok");
    assert!(
        out.record.aborted_by_threshold,
        "{:?}",
        out.summary.thresholds
    );
    // Stopped during the stress stage, well before the schedule's 9 s.
    assert!(
        out.record.duration < Duration::from_secs(7),
        "{:?}",
        out.record.duration
    );
    let window = &out.summary.thresholds[0];
    assert_eq!(window.expr, "p95_1s < 150ms");
    assert!(!window.passed && window.value > 150.0, "{window:?}");
}

#[test]
fn stage_names_are_checked() {
    let parse = |stages: &str| {
        let toml = format!(
            "name = \"s\"\nbase_url = \"http://127.0.0.1:1\"\n[load]\nstages = {stages}\n[[request]]\nname = \"ping\"\npath = \"/ping\"\n"
        );
        parse_profile(&toml, Path::new("s.toml"), &[]).map_err(|e| e.to_string())
    };
    let dup = parse(
        r#"[{ name = "a", duration = "1s", target = 1 }, { name = "a", duration = "1s", target = 2 }]"#,
    );
    let e = dup.unwrap_err();
    assert!(
        e.contains("load.stages[1].name") && e.contains("two stages are named"),
        "{e}"
    );
    let e = parse(r#""warm up=1s:1""#).unwrap_err();
    assert!(e.contains("letters, digits"), "{e}");
    let ok = parse(r#""warm-up=1s:1,2s:5""#).unwrap();
    assert_eq!(ok.load.stage_names, [Some("warm-up".into()), None]);
}

/// The shipped five-phase profile runs against the demo target (its stages'
/// durations divided by 40, so the whole schedule takes 9 s) and passes every
/// threshold: per stage, the window, and the recovery after stress.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stress_recovery_profile_runs_against_the_demo_target() {
    let t = target().await;
    let vars = [(
        "BASE_URL".to_string(),
        t.url("").trim_end_matches('/').to_string(),
    )];
    let path = Path::new("profiles/stress-recovery.toml");
    let mut profile = loadpilot::profile::load_profile(path, &vars).unwrap();
    for s in &mut profile.load.stages {
        s.duration /= 40;
    }
    let names: Vec<String> = profile.load.stage_names.iter().flatten().cloned().collect();
    assert_eq!(names, ["warm-up", "normal", "peak", "stress", "recovery"]);
    let session = Session::start(profile, &opts(), None).expect("starts");
    let out = tokio::time::timeout(Duration::from_secs(60), session.wait())
        .await
        .expect("ends in time")
        .expect("run ok");
    let text = out.summary.render_text();
    assert!(out.summary.passed, "{text}");
    let shown: Vec<&str> = out.summary.stages.iter().map(|s| s.name.as_str()).collect();
    for name in &names {
        assert!(shown.contains(&name.as_str()), "{name} missing: {text}");
    }
    let r = &out.summary.recoveries[..];
    assert_eq!(r.len(), 1, "{text}");
    assert_eq!(
        (r[0].stage_name.as_str(), r[0].reference.as_str()),
        ("recovery", "thresholds")
    );
    assert!(r[0].seconds.is_some(), "{text}");
}
