//! The real binary: exit codes, summaries, validation, signals, the demo.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thresholds_pass_with_0_and_fail_with_99() {
    let t = target().await;
    let mut pass = loadpilot();
    pass.args([
        "run",
        "--no-snapshot",
        &t.url("/ping"),
        "--vus",
        "2",
        "--duration",
        "1s",
        "--threshold",
        "p95 < 5s",
    ]);
    pass.args(["--threshold", "error_rate < 1%", "--threshold", "rps > 1"]);
    let out = output(pass).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("all 3 thresholds passed"), "{stdout}");
    assert!(stdout.contains("p95 < 5s"), "{stdout}");

    let mut fail = loadpilot();
    fail.args([
        "run",
        "--no-snapshot",
        &t.url("/status/500"),
        "--vus",
        "2",
        "--duration",
        "1s",
        "--threshold",
        "error_rate < 1%",
    ]);
    let out = output(fail).await;
    assert_eq!(out.status.code(), Some(99), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("✗ FAIL") && stdout.contains("100.00%"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summary_json_and_progress_lines() {
    let t = target().await;
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("out/summary.json");
    let mut cmd = loadpilot();
    cmd.args([
        "run",
        "--no-snapshot",
        &t.url("/ping"),
        "--vus",
        "3",
        "--duration",
        "2500ms",
        "--progress-every",
        "1s",
    ]);
    cmd.arg("--summary-json").arg(&json);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(0));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let count = summary["overall"]["count"].as_u64().unwrap();
    assert!(count > 10);
    assert_eq!(summary["requests"][0]["name"], "/ping");
    assert_eq!(served(&t).await.get(&200).copied(), Some(count));
    let stderr = text(&out.stderr);
    let progress: Vec<&str> = stderr.lines().filter(|l| l.contains("VUs 3/3")).collect();
    assert!(progress.len() >= 2, "progress lines: {stderr}");
    assert!(
        progress[0].contains("rps")
            && progress[0].contains("p95")
            && progress[0].contains("errors")
    );
    // A flat run is one stage that holds, and no second is printed twice.
    assert!(
        progress.iter().all(|l| l.contains("stage 1/1 HOLD ")),
        "{stderr}"
    );
    let seconds: Vec<&str> = progress
        .iter()
        .map(|l| l.split(']').next().unwrap())
        .collect();
    let mut unique = seconds.clone();
    unique.dedup();
    assert_eq!(seconds, unique, "a progress line printed twice: {stderr}");
}

#[test]
fn validate_reports_file_line_and_field_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "name = \"x\"\nbase_url = \"http://127.0.0.1:1\"\n\n[load]\nstages = \"10x:5\"\n\n[[request]]\npath = \"/\"\n").unwrap();
    let out = loadpilot().arg("validate").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("bad.toml:5:"), "{stderr}");
    assert!(stderr.contains("load.stages"), "{stderr}");

    let out = loadpilot()
        .args([
            "validate",
            "profiles/demo.toml",
            "profiles/health-baseline.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("profiles/demo.toml: ok"));

    // `run` rejects the same profile the same way, before sending anything.
    let out = loadpilot()
        .args(["run"])
        .arg(&bad)
        .arg("--headless")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("bad.toml:5:"));
}

#[test]
fn usage_errors_exit_2() {
    let out = loadpilot()
        .args([
            "run",
            "--no-snapshot",
            "http://127.0.0.1:1/",
            "--vus",
            "1",
            "--duration",
            "1s",
            "--threshold",
            "p95 <",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--threshold"),
        "{}",
        text(&out.stderr)
    );
    let out = loadpilot()
        .args(["run", "http://127.0.0.1:1/", "--stages", "30s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("DURATION:TARGET"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_with_stage_override_runs_against_the_target() {
    let t = target().await;
    let mut cmd = loadpilot();
    cmd.args([
        "run",
        "--no-snapshot",
        "profiles/health-baseline.toml",
        "--stages",
        "500ms:3,1s:3,500ms:0",
        "--headless",
    ]);
    cmd.args(["-e", &format!("BASE_URL={}", t.url(""))]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("health-baseline"));
    assert!(served(&t).await.get(&200).copied().unwrap_or(0) > 5);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_gracefully_and_still_prints_the_summary() {
    let t = target().await;
    let mut cmd = loadpilot();
    cmd.args([
        "run",
        "--no-snapshot",
        &t.url("/delay/200"),
        "--vus",
        "4",
        "--duration",
        "60s",
    ]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let started = Instant::now();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("loadpilot summary"), "{stdout}");
    // In-flight requests finished: nothing was cut off into an error.
    assert!(stdout.contains("0 errors (0.00%)"), "{stdout}");
    assert!(text(&out.stderr).contains("stopping"));
}

#[test]
fn demo_runs_headless_with_its_own_target() {
    let out = loadpilot()
        .args(["demo", "--headless", "--no-snapshot", "--duration", "6s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("loadpilot summary: demo"), "{stdout}");
    for request in ["ping", "items", "refused", "tls-probe", "close"] {
        assert!(stdout.contains(request), "{request} missing: {stdout}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_thresholds_accept_custom_metrics_and_reject_unknown_names() {
    let t = target().await;
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("cache.toml");
    std::fs::write(
        &profile,
        format!(
            "name = \"cache\"\nbase_url = \"{}\"\n\n[load]\nstages = \"0s:4,2s:4\"\n\n\
             [[request]]\nname = \"items\"\npath = \"/api/items\"\n\
             metric = {{ name = \"cache_hit\", header = \"X-Cache\", equals = \"HIT\" }}\n",
            t.url("")
        ),
    )
    .unwrap();
    let run = |threshold: &str| {
        let mut cmd = loadpilot();
        cmd.args([
            "run",
            "--headless",
            "--no-snapshot",
            "--threshold",
            threshold,
        ]);
        cmd.arg(&profile);
        cmd
    };
    // The demo target answers X-Cache: HIT on 85% of /api/items responses.
    let out = output(run("cache_hit > 50%")).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("cache_hit > 50%"),
        "{}",
        text(&out.stdout)
    );
    let out = output(run("nope.p95 < 1s")).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no request or flow is named \"nope\""),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_and_threads_flags_apply() {
    let t = target().await;
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("summary.json");
    let mut cmd = loadpilot();
    cmd.args([
        "run",
        "--no-snapshot",
        "--threads",
        "1",
        "--timeout",
        "200ms",
    ]);
    cmd.args([&t.url("/delay/2000"), "--vus", "2", "--duration", "1s"]);
    cmd.arg("--summary-json").arg(&json);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let classes = summary["overall"]["classes"].as_object().unwrap();
    assert_eq!(
        classes.keys().collect::<Vec<_>>(),
        vec!["timeout"],
        "{classes:?}"
    );
    assert!(summary["overall"]["p50_ms"].as_f64().unwrap() < 400.0);
    assert_eq!(
        summary["worker_threads"], 1,
        "--threads 1 builds one worker"
    );

    // More threads than this machine's cores (and than the default): only
    // `--threads` can give this count.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let wanted = (cores + 1).to_string();
    let mut cmd = loadpilot();
    cmd.args(["run", "--no-snapshot", "--threads", &wanted]);
    cmd.args([&t.url("/ping"), "--vus", "1", "--duration", "300ms"]);
    cmd.arg("--summary-json").arg(&json);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(summary["worker_threads"].to_string(), wanted);

    let out = output({
        let mut cmd = loadpilot();
        cmd.args(["run", &t.url("/ping"), "--threads", "0"]);
        cmd
    })
    .await;
    assert_eq!(out.status.code(), Some(2), "--threads 0 is a usage error");
}

#[test]
fn version_names_the_git_revision_when_built_from_a_checkout() {
    let out = loadpilot().arg("--version").output().unwrap();
    let version = text(&out.stdout);
    assert!(
        version.starts_with(&format!("loadpilot {}", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    let revision = Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| text(&o.stdout).trim().to_string());
    match revision {
        Some(rev) => assert!(version.contains(&format!("({rev})")), "{version} vs {rev}"),
        None => assert!(!version.contains('('), "{version}"),
    }
}

#[test]
fn completions_and_the_man_page_cover_every_subcommand() {
    let subcommands = [
        "run", "demo", "validate", "open", "report", "compare", "import", "merge",
    ];
    for shell in ["bash", "zsh", "fish"] {
        let out = loadpilot().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = text(&out.stdout);
        for sub in subcommands {
            assert!(script.contains(sub), "{shell} completion lacks {sub}");
        }
        assert!(
            script.contains("summary-json"),
            "{shell} lacks run's options"
        );
    }
    let out = loadpilot().arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let man = text(&out.stdout);
    assert!(man.contains(".TH loadpilot 1"), "{man}");
    for sub in subcommands {
        assert!(
            man.contains(&format!("loadpilot\\-{sub}")),
            "the man page lacks {sub}"
        );
    }
}

/// Names of process `pid`'s threads (Linux `/proc`); empty once it has exited.
fn thread_names(pid: u32) -> Vec<String> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduler_flag_sets_where_vus_run() {
    let t = target().await;
    for (mode, vu_threads) in [
        ("per-core", vec!["loadpilot-vu-0", "loadpilot-vu-1"]),
        ("shared", vec![]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("summary.json");
        let mut cmd = loadpilot();
        cmd.args(["run", "--no-snapshot", "--headless", "--threads", "2"]);
        cmd.args(["--scheduler", mode, &t.url("/ping"), "--vus", "4"]);
        cmd.args(["--duration", "1500ms", "--summary-json"])
            .arg(&json);
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        // The union of the thread names seen while the run is under way.
        let (mut seen, status) = tokio::task::spawn_blocking(move || {
            let mut child = cmd.spawn().unwrap();
            let mut seen = std::collections::BTreeSet::new();
            let deadline = Instant::now() + Duration::from_secs(30);
            while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
                seen.extend(thread_names(child.id()));
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            (seen, child.wait().unwrap())
        })
        .await
        .unwrap();
        assert!(status.success(), "{mode}: {status:?}");
        seen.retain(|name| name.starts_with("loadpilot-vu"));
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), vu_threads, "{mode}");
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        assert!(summary["overall"]["count"].as_u64().unwrap() > 0, "{mode}");
        assert_eq!(summary["overall"]["errors"], 0, "{mode}");
        assert_eq!(summary["worker_threads"], 2, "{mode}");
    }
}

/// Issue 13 point 7: `--duration` no longer silently drops `--stages` beside `--vus`.
#[test]
fn vus_with_stages_is_refused_even_with_a_duration() {
    let out = loadpilot()
        .args([
            "run",
            "--headless",
            "--no-snapshot",
            "http://127.0.0.1:1/",
            "--vus",
            "3",
            "--stages",
            "2s:3",
            "--duration",
            "3s",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("--vus") && stderr.contains("--stages"),
        "{stderr}"
    );
}

/// Issue 13 point 7: a headless run with `--baseline` ends its summary with
/// the deltas against the saved run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_baseline_prints_the_deltas() {
    let t = target().await;
    let dir = tempfile::tempdir().unwrap();
    let before = dir.path().join("before.json");
    let mut first = loadpilot();
    first.args([
        "run",
        "--headless",
        &t.url("/ping"),
        "--vus",
        "2",
        "--duration",
        "1s",
    ]);
    first.arg("--out").arg(&before);
    let out = output(first).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("against the baseline"));

    let mut second = loadpilot();
    second.args([
        "run",
        "--headless",
        "--no-snapshot",
        &t.url("/delay/5"),
        "--vus",
        "2",
        "--duration",
        "1s",
    ]);
    second.arg("--baseline").arg(&before);
    let out = output(second).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let deltas = stdout
        .split_once("against the baseline:")
        .expect("the summary ends with the baseline's deltas")
        .1;
    assert!(deltas.contains("this run"), "{stdout}");
    let p50 = deltas
        .lines()
        .find(|l| l.contains("overall") && l.contains("p50"))
        .unwrap_or_else(|| panic!("{stdout}"));
    // 5 ms of delay against a plain ping: p50 went up.
    assert!(p50.contains("WORSE"), "{p50}");
}

/// Issue 13 point 7: `compare` of runs of different profiles warns in its
/// header; `--strict` refuses with exit 2.
#[test]
fn compare_of_different_profiles_warns_and_strict_refuses() {
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/snapshots");
    let dir = tempfile::tempdir().unwrap();
    let mut other: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures.join("after.json")).unwrap()).unwrap();
    other["profile_name"] = "search".into();
    let after = dir.path().join("other.json");
    std::fs::write(&after, serde_json::to_vec(&other).unwrap()).unwrap();
    let before = fixtures.join("before.json");

    let same = loadpilot()
        .arg("compare")
        .arg(&before)
        .arg(fixtures.join("after.json"))
        .output()
        .unwrap();
    assert!(!text(&same.stdout).contains("different profiles"));

    let out = loadpilot()
        .arg("compare")
        .arg(&before)
        .arg(&after)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let head: Vec<String> = text(&out.stdout)
        .lines()
        .take(3)
        .map(String::from)
        .collect();
    assert!(
        head[2].starts_with("warning: the runs come from different profiles")
            && head[2].contains("\"search\""),
        "{head:?}"
    );

    let out = loadpilot()
        .args(["compare", "--strict"])
        .arg(&before)
        .arg(&after)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("different profiles"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());
}
