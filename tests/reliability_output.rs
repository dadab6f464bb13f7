//! Never lose a run's output: unwritable output paths are refused before any
//! request, a snapshot that cannot be written at the end goes to the temp
//! directory, special files are written in place, SIGHUP/SIGQUIT stop gracefully,
//! a closed stdout ends the output quietly. All through the real binary.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/snapshots")
        .join(name)
}

/// A short run of `url` with 2 VUs for `duration`.
fn short_run(url: &str, duration: &str) -> Command {
    let mut cmd = loadpilot();
    cmd.args(["run", url, "--vus", "2", "--duration", duration]);
    cmd
}

/// Requests the target answered, whatever the status.
async fn requests_served(t: &loadpilot::demo_target::LocalTarget) -> u64 {
    served(t).await.values().sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unwritable_output_paths_exit_2_before_any_request_is_sent() {
    let t = target().await;
    let dir = tempfile::tempdir().unwrap();
    // --out naming a directory.
    let mut cmd = short_run(&t.url("/ping"), "1s");
    cmd.arg("--out").arg(dir.path());
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("cannot write the snapshot to") && stderr.contains("--out"),
        "{stderr}"
    );
    // --out in a folder that cannot be made (/proc takes no new files, even as root).
    let mut cmd = short_run(&t.url("/ping"), "1s");
    cmd.args(["--out", "/proc/loadpilot-no-such/run.json"]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    // No --out, from a working directory that takes no files: the default snapshots/.
    let mut cmd = short_run(&t.url("/ping"), "1s");
    cmd.current_dir("/proc");
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("snapshots/") && stderr.contains("writable directory"),
        "{stderr}"
    );
    // --summary-json naming a directory.
    let mut cmd = short_run(&t.url("/ping"), "1s");
    cmd.arg("--no-snapshot")
        .arg("--summary-json")
        .arg(dir.path());
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--summary-json"));
    assert!(text(&out.stdout).is_empty());
    assert_eq!(requests_served(&t).await, 0, "a request was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_at_the_end_keeps_the_summary_the_exit_code_and_the_snapshot() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let t = target().await;
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let json = dir.path().join("summary.json");
    // Every request fails the threshold: exit 99, whatever happens to the snapshot.
    let mut cmd = short_run(&t.url("/status/500"), "1s");
    cmd.args(["--threshold", "error_rate < 1%", "--out", "/dev/full"]);
    cmd.arg("--summary-json").arg(&json).env("TMPDIR", &tmp);
    let out = output(cmd).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(99), "{stderr}");
    assert!(text(&out.stdout).contains("loadpilot summary"));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(summary["passed"], false);
    // The snapshot went to the temp directory, and the message says where.
    let saved: Vec<PathBuf> = std::fs::read_dir(&tmp)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}; {stderr}");
    assert!(
        stderr.contains("could not write the snapshot to /dev/full")
            && stderr.contains(&format!("saved it to {} instead", saved[0].display())),
        "{stderr}"
    );
    let snap = loadpilot::snapshot::read(&saved[0]).unwrap();
    assert!(snap.complete);
    assert_eq!(
        snap.overall.classes["500"],
        summary["overall"]["count"].as_u64().unwrap()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = std::fs::metadata("/dev/full").unwrap().file_type();
        assert!(kind.is_char_device(), "/dev/full was replaced");
    }
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success());
}

/// Reads everything written to the FIFO at `path` (its first writer), on a thread.
#[cfg(unix)]
fn drain_fifo(path: &Path) -> std::thread::JoinHandle<Vec<u8>> {
    let path = path.to_path_buf();
    std::thread::spawn(move || std::fs::read(path).unwrap())
}

#[cfg(unix)]
fn is_fifo(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path)
        .unwrap()
        .file_type()
        .is_fifo()
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn special_files_are_written_in_place_and_dash_is_stdout() {
    let t = target().await;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("summary.fifo");
    mkfifo(&fifo);
    let reader = drain_fifo(&fifo);
    let mut cmd = short_run(&t.url("/ping"), "1s");
    cmd.arg("--no-snapshot").arg("--summary-json").arg(&fifo);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&reader.join().unwrap()).unwrap();
    assert!(json["overall"]["count"].as_u64().unwrap() > 0);
    assert!(is_fifo(&fifo), "the FIFO was replaced by a regular file");

    // `report -o FIFO` too.
    let reader = drain_fifo(&fifo);
    let out = loadpilot()
        .arg("report")
        .arg(fixture("before.json"))
        .args(["--format", "csv", "-o"])
        .arg(&fifo)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&reader.join().unwrap()).starts_with("t_s,requests,errors"));
    assert!(is_fifo(&fifo));

    // `--summary-json -`: stdout is the JSON alone (for `| jq`), the text summary
    // goes to stderr.
    let mut cmd = short_run(&t.url("/ping"), "1s");
    cmd.args(["--no-snapshot", "--summary-json", "-"]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("loadpilot summary"));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["requests"][0]["name"], "/ping");
    assert!(!dir.path().join("-").exists());
}

/// Sends `signal` to a headless run 1.5 s in; it must stop gracefully.
#[cfg(unix)]
async fn stops_gracefully_on(signal: &str, url: String) {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("run.json");
    let mut cmd = short_run(&url, "60s");
    cmd.arg("--out").arg(&snap);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "SIG{signal}: {stderr}");
    assert!(stderr.contains("stopping"), "SIG{signal}: {stderr}");
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("loadpilot summary"),
        "SIG{signal}: {stdout}"
    );
    assert!(stdout.contains("0 errors (0.00%)"), "SIG{signal}: {stdout}");
    let saved = loadpilot::snapshot::read(&snap).unwrap();
    assert!(saved.complete && saved.overall.classes["ok"] > 0);
    assert!(saved.duration_s < 30.0, "the run did not stop early");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_and_sigquit_stop_a_headless_run_gracefully() {
    let t = target().await;
    let url = t.url("/delay/100");
    tokio::join!(
        stops_gracefully_on("HUP", url.clone()),
        stops_gracefully_on("QUIT", url)
    );
}

/// Runs `cmd` with its stdout a pipe whose reading end is already closed.
async fn with_closed_stdout(mut cmd: Command) -> std::process::Output {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().unwrap();
        drop(child.stdout.take());
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stdout_ends_the_output_quietly_and_still_writes_the_files() {
    let t = target().await;
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("summary.json");
    let snap = dir.path().join("run.json");
    let mut cmd = short_run(&t.url("/status/500"), "1s");
    cmd.args(["--threshold", "error_rate < 1%"]);
    cmd.arg("--summary-json").arg(&json).arg("--out").arg(&snap);
    let out = with_closed_stdout(cmd).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(99), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(summary["passed"], false);
    assert!(loadpilot::snapshot::read(&snap).unwrap().complete);

    // compare, report and validate print to stdout too; none panics.
    let mut cmd = loadpilot();
    cmd.arg("compare")
        .arg(fixture("before.json"))
        .arg(fixture("after.json"))
        .args(["--fail-if", "p95 +10%"]);
    let out = with_closed_stdout(cmd).await;
    assert_eq!(out.status.code(), Some(99), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("panicked"));
    let mut cmd = loadpilot();
    cmd.arg("report").arg(fixture("before.json"));
    let out = with_closed_stdout(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut cmd = loadpilot();
    cmd.args(["validate", "profiles/demo.toml"]);
    let out = with_closed_stdout(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn report_exits_99_for_a_run_that_failed_its_thresholds_unless_no_fail() {
    // after.json failed `p95 < 55ms`; before.json passed both thresholds.
    for format in ["text", "json", "junit"] {
        let out = loadpilot()
            .arg("report")
            .arg(fixture("after.json"))
            .args(["--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(99), "{format}");
        assert!(!out.stdout.is_empty(), "the report is still printed");
    }
    let out = loadpilot()
        .arg("report")
        .arg(fixture("after.json"))
        .arg("--no-fail")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("1 of 2 thresholds FAILED"));
    let out = loadpilot()
        .arg("report")
        .arg(fixture("before.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn merge_refuses_runs_that_did_not_overlap_unless_forced() {
    // Two 60 s runs of one profile, the second starting a minute after the first ended.
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all.json");
    let mut later: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture("after.json")).unwrap()).unwrap();
    later["started_at"] = "2026-11-20T10:02:00Z".into();
    let later_path = dir.path().join("later.json");
    std::fs::write(&later_path, later.to_string()).unwrap();
    let merge = |force: bool| {
        let mut cmd = loadpilot();
        cmd.arg("merge")
            .arg(fixture("before.json"))
            .arg(&later_path)
            .arg("-o")
            .arg(&all);
        if force {
            cmd.arg("--force");
        }
        cmd.output().unwrap()
    };
    let out = merge(false);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("did not overlap in time")
            && stderr.contains("before.json (2026-11-20 10:00:00 UTC")
            && stderr.contains("--force"),
        "{stderr}"
    );
    assert!(!all.exists());
    let out = merge(true);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning") && stderr.contains("did not overlap"),
        "{stderr}"
    );
    let merged = loadpilot::snapshot::read(&all).unwrap();
    let (a, b) = (
        loadpilot::snapshot::read(&fixture("before.json")).unwrap(),
        loadpilot::snapshot::read(&later_path).unwrap(),
    );
    // Seconds line up by wall clock: the second run starts at second 120.
    assert_eq!(merged.series.len(), 180);
    assert_eq!(merged.series[120].requests, b.series[0].requests);
    assert_eq!(merged.series[90].requests, 0);
    assert_eq!(
        merged.overall.latency_us.len(),
        a.overall.latency_us.len() + b.overall.latency_us.len()
    );
}

#[test]
fn a_crafted_duration_is_an_invalid_snapshot_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture("before.json")).unwrap()).unwrap();
    value["duration_s"] = 1e308.into();
    let path = dir.path().join("crafted.json");
    std::fs::write(&path, value.to_string()).unwrap();
    let out = loadpilot().arg("report").arg(&path).output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("invalid snapshot") && stderr.contains("duration_s"),
        "{stderr}"
    );
}
