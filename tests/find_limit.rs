//! `loadpilot find-limit` end to end: the real binary against the demo target
//! with a fixed capacity (4 workers answering `/delay/20`: 200 requests/s), on
//! loopback, with short holds.

mod common;

use common::*;
use loadpilot::demo_target::TargetConfig;

async fn capped_target() -> loadpilot::demo_target::LocalTarget {
    target_with(TargetConfig {
        workers: 4,
        ..TargetConfig::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_search_stops_at_the_targets_capacity() {
    let t = capped_target().await;
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.json");
    let snapshot = dir.path().join("run.json");
    let mut cmd = loadpilot();
    cmd.args(["find-limit", &t.url("/delay/20"), "--rate"])
        .args([
            "--start", "60", "--step", "60", "--max", "420", "--hold", "2s",
        ])
        .args(["--until", "p95 > 200ms or error_rate > 5%", "--headless"])
        .arg("--summary-json")
        .arg(&summary)
        .arg("--out")
        .arg(&snapshot);
    let out = output(cmd).await;
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(
        stdout.contains("find-limit: highest sustainable load"),
        "{stdout}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    let result = &json["find_limit"];
    let limit = result["limit"].as_u64().expect("a limit");
    // Capacity is 200/s: 180/s holds, 240/s queues up (one step either way).
    assert!((120..=240).contains(&limit), "limit {limit}: {stdout}");
    let failed = result["failed_step"].as_u64().unwrap() as usize;
    let steps = result["steps"].as_array().unwrap();
    assert_eq!(steps.len(), failed, "the search stops at the failing step");
    assert!(
        steps[failed - 1]["failed"][0]
            .as_str()
            .unwrap()
            .contains("p95 > 200ms")
            || steps[failed - 1]["failed"][0]
                .as_str()
                .unwrap()
                .contains("error_rate")
    );
    // Every step before it passed and sent about its rate.
    for s in &steps[..failed - 1] {
        assert!(s["failed"].is_null());
        let load = s["load"].as_f64().unwrap();
        let rps = s["rps"].as_f64().unwrap();
        assert!((rps - load).abs() <= load * 0.25, "step {s}");
    }
    // The snapshot keeps the search, and the log shows each verdict.
    let snap: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&snapshot).unwrap()).unwrap();
    assert_eq!(snap["find_limit"]["limit"], result["limit"]);
    let events = snap["events"].as_array().unwrap();
    assert!(
        events.iter().any(|e| e["text"]
            .as_str()
            .unwrap()
            .contains("find-limit: step 1 (60/s) passed")),
        "{events:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_step_that_fails_exits_99_and_a_vu_search_works_too() {
    let t = capped_target().await;
    let mut cmd = loadpilot();
    cmd.args(["find-limit", &t.url("/delay/20")])
        .args([
            "--start", "40", "--step", "10", "--max", "60", "--hold", "2s",
        ])
        .args(["--until", "p95 > 10ms", "--headless", "--no-snapshot"]);
    let out = output(cmd).await;
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(99),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(
        stdout.contains("even the first step (40 VUs) failed: p95 > 10ms"),
        "{stdout}"
    );
}

/// `--refine` bisects between the last good and the first bad step (at most
/// three extra steps, each strictly between the bounds known when it started),
/// the load then ramps down instead of stopping at once, and `report --format
/// markdown|json` of the snapshot show the search.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refine_bisects_then_ramps_down_and_reports_show_the_search() {
    let t = capped_target().await;
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("run.json");
    let mut cmd = loadpilot();
    cmd.args(["find-limit", &t.url("/delay/20"), "--rate", "--refine"])
        .args([
            "--start", "120", "--step", "120", "--max", "480", "--hold", "2s",
        ])
        .args(["--until", "p95 > 200ms or error_rate > 5%", "--headless"])
        .arg("--out")
        .arg(&snapshot);
    let out = output(cmd).await;
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    let snap: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&snapshot).unwrap()).unwrap();
    let result = &snap["find_limit"];
    let steps = result["steps"].as_array().unwrap();
    let limit = result["limit"].as_u64().expect("a limit");
    assert_refined(steps, limit, &stdout);
    // Then the load ramps down over half a hold, and the schedule ends there.
    let events: Vec<&str> = snap["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    let ramp = events
        .iter()
        .position(|e| *e == "ramp to 0 over 1s")
        .expect("ramp-down logged");
    assert!(
        events[ramp..].iter().any(|e| e.contains("to 0/s over 1s")),
        "{events:?}"
    );
    assert!(
        events[ramp..]
            .iter()
            .any(|e| e.contains("schedule complete")),
        "{events:?}"
    );

    assert_reports_show_the_search(&snapshot, limit, steps.len());
}

/// `report --format markdown|json` of a find-limit snapshot carry its verdict and steps.
fn assert_reports_show_the_search(snapshot: &std::path::Path, limit: u64, steps: usize) {
    let report = |format: &str| {
        let out = loadpilot()
            .args(["report", snapshot.to_str().unwrap(), "--format", format])
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 99)),
            "{format}: {out:?}"
        );
        text(&out.stdout)
    };
    let md = report("markdown");
    assert!(md.contains("### find-limit"), "{md}");
    assert!(
        md.contains(&format!("highest sustainable load **{limit}/s**")),
        "{md}"
    );
    assert_eq!(
        md.lines()
            .filter(|l| l.contains("✓ pass") || l.contains("✗ `"))
            .count(),
        steps,
        "{md}"
    );
    let json: serde_json::Value = serde_json::from_str(&report("json")).unwrap();
    assert_eq!(json["find_limit"]["limit"], limit);
    assert_eq!(json["find_limit"]["steps"].as_array().unwrap().len(), steps);
}

/// The climb ends at its first failure; 1 to 3 refine steps follow it, each
/// strictly between the highest passing and the lowest failing load known when
/// it started; `limit` is the highest passing load below the lowest failing one.
fn assert_refined(steps: &[serde_json::Value], limit: u64, stdout: &str) {
    let loads: Vec<u64> = steps.iter().map(|s| s["load"].as_u64().unwrap()).collect();
    let passed = |s: &serde_json::Value| s["failed"].is_null();
    // The climb ends at its first failure; refine steps follow it.
    let climb = steps
        .iter()
        .position(|s| !passed(s))
        .expect("a step failed")
        + 1;
    assert!(
        (1..=3).contains(&(steps.len() - climb)),
        "1 to 3 refine steps: {loads:?}\n{stdout}"
    );
    for i in climb..steps.len() {
        let good = steps[..i]
            .iter()
            .filter(|s| passed(s))
            .map(|s| s["load"].as_u64().unwrap())
            .max()
            .unwrap();
        let bad = steps[..i]
            .iter()
            .filter(|s| !passed(s))
            .map(|s| s["load"].as_u64().unwrap())
            .min()
            .unwrap();
        assert!(
            good < loads[i] && loads[i] < bad,
            "step {} at {} not within ({good}, {bad})",
            i + 1,
            loads[i]
        );
    }
    let lowest_bad = steps
        .iter()
        .filter(|s| !passed(s))
        .map(|s| s["load"].as_u64().unwrap())
        .min()
        .unwrap();
    assert_eq!(
        Some(limit),
        steps
            .iter()
            .filter(|s| passed(s))
            .map(|s| s["load"].as_u64().unwrap())
            .filter(|&l| l < lowest_bad)
            .max()
    );
}

#[test]
fn bad_search_options_are_usage_errors() {
    for (args, says) in [
        (vec!["--until", "p95 >"], "--until"),
        (vec!["--step", "0"], "at least 1"),
        (vec!["--start", "50", "--max", "10"], "below --start"),
    ] {
        let out = loadpilot()
            .args(["find-limit", "http://127.0.0.1:9/"])
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(says),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

/// `--until` reads the target's health like thresholds do: `watch.NAME` from
/// `--watch-url` (the capped target's own queue depth, which grows once the rate
/// passes its capacity), `target.mem` and `target.rss` from the same endpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn until_conditions_read_the_targets_health_and_watched_metrics() {
    let t = capped_target().await;
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.json");
    let mut cmd = loadpilot();
    cmd.args(["find-limit", &t.url("/delay/20"), "--rate"])
        .args([
            "--start", "60", "--step", "90", "--max", "420", "--hold", "2s",
        ])
        .args([
            "--until",
            "watch.loadpilot_target_queue_depth > 10 or target.mem > 99% or target.rss > 8GB",
        ])
        .args(["--watch-url", &t.url("/metrics"), "--watch-every", "200ms"])
        .args(["--headless", "--no-snapshot", "--summary-json"])
        .arg(&summary);
    let out = output(cmd).await;
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    let result = &json["find_limit"];
    let steps = result["steps"].as_array().unwrap();
    let failed = result["failed_step"].as_u64().expect("a step failed") as usize;
    let condition = steps[failed - 1]["failed"][0].as_str().unwrap();
    assert!(
        condition.contains("watch.loadpilot_target_queue_depth > 10"),
        "{stdout}"
    );
    // 60/s and 150/s are within the 200/s capacity; 240/s queues up.
    let limit = result["limit"].as_u64().unwrap();
    assert!((60..=240).contains(&limit), "limit {limit}: {stdout}");
    // Every condition had a reading in every step: nothing judged on no data.
    for s in steps {
        let readings = s["readings"].as_array().unwrap();
        assert!(readings.iter().all(|r| r.is_number()), "step {s}");
    }
}
