//! The target's health as pass/fail: `target.rss`, `target.cpu`, `target.mem`,
//! the leak detector `target.rss_slope`, `self.*` and `watch.NAME`, read from the
//! watched process (`--watch-pid`) or metrics endpoint (`--watch-url`).
//!
//! The leak tests run the real binary twice against the real demo target in its
//! own process (so its memory is its own): with `--leak` a short soak fails
//! `soak.target.rss_slope`, the same soak without it passes. The first second
//! (a named warm-up stage) is left out of the fit, as a real soak leaves out its
//! ramp.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use common::*;
use loadpilot::profile::{Profile, parse_profile};
use loadpilot::session::{RunOutput, Session};

/// `loadpilot target` in its own process; killed when dropped.
struct TargetProcess {
    child: Child,
    base: String,
}

impl TargetProcess {
    fn start(extra: &[&str]) -> TargetProcess {
        let mut child = loadpilot()
            .args(["target", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("target starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("target prints its address");
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .trim_end_matches('/')
            .to_string();
        TargetProcess { child, base }
    }
}

impl Drop for TargetProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A 1 s warm-up, then a 5 s soak at 40 requests/s, the target sampled every
/// 200 ms; returns the exit code and the summary JSON.
async fn soak(target: &TargetProcess, thresholds: &[&str]) -> (i32, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("summary.json");
    let mut cmd = loadpilot();
    cmd.args(["run", &format!("{}/ping", target.base), "--headless"])
        .args(["--rate-stages", "warm-up=1s:40,soak=5s:40"])
        .args(["--watch-pid", &target.child.id().to_string()])
        .args(["--watch-every", "200ms", "--no-snapshot"])
        .arg("--summary-json")
        .arg(&json);
    for t in thresholds {
        cmd.args(["--threshold", t]);
    }
    let out = output(cmd).await;
    let code = out.status.code().expect("exit code");
    let summary =
        std::fs::read_to_string(&json).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    (code, serde_json::from_str(&summary).unwrap())
}

/// The threshold result named `expr` in a summary.
fn threshold<'a>(summary: &'a serde_json::Value, expr: &str) -> &'a serde_json::Value {
    summary["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["expr"] == expr)
        .unwrap_or_else(|| panic!("no threshold {expr} in {summary:#}"))
}

const SLOPE: &str = "soak.target.rss_slope < 10MB/min";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_soak_against_a_leaking_target_fails_rss_slope() {
    // 40 requests/s × 256 KB ≈ 600 MB a minute, sixty times the limit.
    let target = TargetProcess::start(&["--leak", "256KB"]);
    let (code, summary) = soak(&target, &[SLOPE, "target.rss < 1GB"]).await;
    assert_eq!(code, 99, "a failed threshold exits 99: {summary:#}");
    let slope = threshold(&summary, SLOPE);
    assert_eq!(slope["passed"], false, "{slope}");
    assert!(slope["value"].as_f64().unwrap() > 10e6, "{slope}");
    assert!(
        slope["shown"].as_str().unwrap().ends_with("/min"),
        "{slope}"
    );
    assert_eq!(threshold(&summary, "target.rss < 1GB")["passed"], true);
    // The fit behind the verdict: the soak stage's samples, close to a line.
    let fit = &summary["health"]["stage_leaks"][0];
    assert_eq!(fit["stage"], "soak", "{summary:#}");
    assert!(fit["samples"].as_u64().unwrap() >= 10, "{fit}");
    assert!(fit["r2"].as_f64().unwrap() > 0.5, "{fit}");
    assert!(
        fit["from_s"].as_f64().unwrap() >= 0.8,
        "the warm-up is left out: {fit}"
    );
    assert!(
        summary["health"]["leak"]["slope_bytes_per_min"]
            .as_f64()
            .unwrap()
            > 10e6
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_soak_without_a_leak_passes_and_reads_the_target() {
    let target = TargetProcess::start(&[]);
    let expressions = [
        SLOPE,
        "target.rss < 1GB",
        "target.rss > 1MB",
        "target.mem < 85%",
        "target.cpu < 400%",
        "self.rss < 2GB",
        "self.cpu >= 0%",
    ];
    let (code, summary) = soak(&target, &expressions).await;
    for expr in expressions {
        let t = threshold(&summary, expr);
        assert_eq!(t["passed"], true, "{t}");
        assert_eq!(t["no_data"], false, "{t}");
    }
    assert_eq!(code, 0, "{summary:#}");
    let health = &summary["health"];
    let rss = health["target_rss_peak"].as_u64().unwrap();
    assert!(rss > 1_000_000, "{health}");
    assert!(
        health["target_mem_peak_pct"].as_f64().unwrap() > 0.0,
        "{health}"
    );
    assert!(
        health["self_rss_peak"].as_u64().unwrap() > 1_000_000,
        "{health}"
    );
    assert!(
        health["samples"].as_u64().unwrap() >= 15,
        "200 ms sampling: {health}"
    );
}

fn ping_profile(base: &str, thresholds: &str) -> Profile {
    let toml = format!(
        r#"
name = "health"
base_url = "{base}"

[load]
stages = [{{ duration = "1500ms", target = 1 }}]

[[request]]
name = "ping"
path = "/ping"

[thresholds]
{thresholds}
"#
    );
    parse_profile(&toml, Path::new("health.toml"), &[]).unwrap_or_else(|e| panic!("{e}"))
}

async fn run(profile: Profile, opts: loadpilot::cli::RunOptions) -> RunOutput {
    let session = Session::start(profile, &opts, None).expect("session starts");
    tokio::time::timeout(Duration::from_secs(30), session.wait())
        .await
        .expect("run ends in time")
        .expect("run ok")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_thresholds_without_a_watched_target_are_no_data() {
    let t = target().await;
    let profile = ping_profile(
        &t.url(""),
        r#""target.rss" = "< 1GB"
"target.rss_slope" = { expr = "< 1MB/min", allow_empty = true }
"self.rss" = "< 4GB""#,
    );
    let out = run(profile, opts()).await;
    let [rss, slope, own] = &out.summary.thresholds[..] else {
        panic!("{:?}", out.summary.thresholds);
    };
    assert!(rss.no_data && !rss.passed, "no target watched: {rss:?}");
    assert!(slope.no_data && slope.passed, "allow_empty: {slope:?}");
    assert!(
        !own.no_data && own.passed,
        "loadpilot is always sampled: {own:?}"
    );
    assert!(!out.summary.passed);
    let text = out.summary.render_text();
    assert!(text.contains("target: not watched"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_metrics_are_read_from_the_watch_url() {
    let t = target().await;
    let profile = ping_profile(
        &t.url(""),
        r#""watch.loadpilot_target_workers" = ">= 64"
"watch.loadpilot_target_in_flight" = "> 1000"
"watch.no_such_metric" = "< 1""#,
    );
    let opts = loadpilot::cli::RunOptions {
        watch_url: Some(t.url("/metrics")),
        watch_every: Duration::from_millis(200),
        ..opts()
    };
    let out = run(profile, opts).await;
    let [workers, in_flight, missing] = &out.summary.thresholds[..] else {
        panic!("{:?}", out.summary.thresholds);
    };
    assert!(workers.passed && workers.value == 64.0, "{workers:?}");
    assert!(!in_flight.passed && !in_flight.no_data, "{in_flight:?}");
    assert!(missing.no_data && !missing.passed, "{missing:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_metrics_need_a_watch_url() {
    let t = target().await;
    let out = loadpilot()
        .args(["run", &t.url("/ping"), "--headless", "--vus", "1"])
        .args(["--duration", "1s", "--no-snapshot"])
        .args(["--threshold", "watch.queue_depth < 10"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("add --watch-url"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn health_keys_are_checked_in_profiles() {
    let bad = |thresholds: &str| {
        let toml = format!(
            "name = \"h\"\nbase_url = \"http://127.0.0.1:1\"\n[load]\nstages = [{{ name = \"soak\", duration = \"1s\", target = 1 }}]\n[[request]]\nname = \"ping\"\npath = \"/ping\"\n[thresholds]\n{thresholds}\n"
        );
        parse_profile(&toml, Path::new("h.toml"), &[])
            .err()
            .map(|e| e.to_string())
    };
    assert_eq!(bad(r#""soak.target.rss_slope" = "< 1MB/min""#), None);
    let e = bad(r#""ping.target.rss" = "< 1GB""#).expect("a request is no stage");
    assert!(
        e.contains("names stage \"ping\"") && e.contains("stages: soak"),
        "{e}"
    );
    let e = bad(r#""target.rss_slope" = "< 1MB""#).expect("a slope needs a time unit");
    assert!(e.contains("1MB/min"), "{e}");
    let e = bad(r#""target.cpu" = "< lots""#).expect("not a percentage");
    assert!(e.contains("target.cpu"), "{e}");
}
