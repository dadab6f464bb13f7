//! Execution segments (`--segment I/N`) and a synchronized start (`--start-at`,
//! `--start-after`) end to end: real `loadpilot` processes against one demo
//! target on loopback, their snapshots, and `merge` of them; in-process runs for
//! the data-row partitioning (one recording server per agent shows which rows
//! each agent used).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use common::recorder::Recorder;
use common::*;
use loadpilot::profile::{Profile, parse_profile};
use loadpilot::segment::Segment;
use loadpilot::session::Session;
use loadpilot::snapshot::Snapshot;

/// An RFC 3339 time `secs` from now (whole seconds, UTC).
fn start_in(secs: i64) -> String {
    let at = chrono::Utc::now() + chrono::Duration::seconds(secs);
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `run URL --headless --out FILE` plus `extra`, run on a blocking thread.
async fn run_headless(url: &str, out: &Path, extra: &[&str]) -> Output {
    let mut cmd = loadpilot();
    cmd.args(["run", url, "--headless", "--out"])
        .arg(out)
        .args(extra);
    output(cmd).await
}

fn read(path: &Path) -> Snapshot {
    loadpilot::snapshot::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The most VUs the run had active in any second.
fn peak_vus(s: &Snapshot) -> u32 {
    s.series.iter().map(|r| r.vus).max().unwrap_or(0)
}

fn merge(inputs: &[PathBuf], out: &Path) -> Output {
    loadpilot()
        .arg("merge")
        .args(inputs)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap()
}

/// Three agents, `--vus 10 --segment i/3`, started together: 4+3+3 VUs, each
/// snapshot naming its segment, starting within a small bound of the agreed
/// time; `merge` of the three is the whole run and refuses overlapping parts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_segments_of_ten_vus_run_four_three_three_and_merge() {
    let t = target().await;
    let url = t.url("/ping");
    let dir = tempfile::tempdir().unwrap();
    let at = start_in(3);
    let outs: Vec<PathBuf> = (1..=3)
        .map(|i| dir.path().join(format!("part{i}.json")))
        .collect();
    let runs = (1..=3).map(|i| {
        let segment = format!("{i}/3");
        let (url, out, at) = (url.clone(), outs[i - 1].clone(), at.clone());
        tokio::spawn(async move {
            let args = ["--vus", "10", "--duration", "2s", "--segment", &segment];
            run_headless(&url, &out, &[&args[..], &["--start-at", &at]].concat()).await
        })
    });
    let runs: Vec<_> = runs.collect();
    // Started but waiting: until the agreed second the target sees nothing.
    let agreed = chrono::DateTime::parse_from_rfc3339(&at)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let before = (agreed - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(before.saturating_sub(Duration::from_millis(600))).await;
    assert!(
        served(&t).await.values().all(|&n| n == 0),
        "no request before {at}"
    );
    let results = futures_util::future::join_all(runs).await;
    for (i, r) in results.into_iter().enumerate() {
        let out = r.unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "agent {}: {stderr}", i + 1);
        assert!(stderr.contains(&format!("waiting until {at}")), "{stderr}");
    }
    let parts: Vec<Snapshot> = outs.iter().map(|p| read(p)).collect();
    let segments: Vec<String> = parts
        .iter()
        .map(|s| s.segment.expect("segment recorded").to_string())
        .collect();
    assert_eq!(segments, ["1/3", "2/3", "3/3"]);
    let vus: Vec<u32> = parts.iter().map(peak_vus).collect();
    assert_eq!(vus, [4, 3, 3], "10 VUs over three agents");
    // Synchronized: each run's clock began at the agreed second, and each sent
    // in its first second (it was not still waiting, nor started early: the
    // target saw nothing before).
    for s in &parts {
        assert_eq!(s.started_at, agreed, "run clock starts at {at}");
        assert!(
            s.series
                .first()
                .is_some_and(|r| r.t_s == 0 && r.requests > 0)
        );
    }
    let merged_path = dir.path().join("all.json");
    let out = merge(&outs, &merged_path);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    let merged = read(&merged_path);
    assert_eq!(merged.segment, None, "the three parts are the whole run");
    let requests = |s: &Snapshot| s.overall.latency_us.len();
    assert_eq!(
        requests(&merged),
        parts.iter().map(requests).sum::<u64>(),
        "merged counts add up"
    );
    // A part twice overlaps itself; 1/3 and 3/3 leave 1/3..2/3 out.
    let out = merge(&[outs[0].clone(), outs[0].clone()], &merged_path);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("(segment 1/3) and") && stderr.contains("overlap"),
        "{stderr}"
    );
    let out = merge(&[outs[0].clone(), outs[2].clone()], &merged_path);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning") && stderr.contains("no snapshot holds 1/3..2/3"),
        "{stderr}"
    );
}

/// `--rate 300` over three agents: each sends its third of the run's arrival
/// timeline, and together they send what one whole run sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_segments_of_a_rate_send_what_the_whole_run_sends() {
    let t = target().await;
    let url = t.url("/ping");
    let dir = tempfile::tempdir().unwrap();
    let at = start_in(3);
    let outs: Vec<PathBuf> = (0..=3)
        .map(|i| dir.path().join(format!("rate{i}.json")))
        .collect();
    // Run 0 is the whole run, 1..=3 the segments; all at once.
    let runs = (0..=3).map(|i| {
        let (url, out, at) = (url.clone(), outs[i].clone(), at.clone());
        tokio::spawn(async move {
            let segment = format!("{i}/3");
            let mut args = vec![
                "--rate",
                "300",
                "--duration",
                "2s",
                "--start-at",
                at.as_str(),
            ];
            if i > 0 {
                args.extend(["--segment", segment.as_str()]);
            }
            run_headless(&url, &out, &args).await
        })
    });
    for r in futures_util::future::join_all(runs).await {
        let out = r.unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let runs: Vec<Snapshot> = outs.iter().map(|p| read(p)).collect();
    let whole = runs[0].overall.arrivals;
    // 2 s at 300/s: 600 arrivals, a few less if the end is read a tick early.
    assert!((570..=601).contains(&whole), "whole run: {whole} arrivals");
    for part in &runs[1..] {
        let n = part.overall.arrivals;
        assert!((185..=201).contains(&n), "a third of 600: {n}");
    }
    let merged_path = dir.path().join("all.json");
    let out = merge(&outs[1..], &merged_path);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let merged = read(&merged_path).overall.arrivals;
    let diff = merged.abs_diff(whole);
    assert!(
        diff <= whole / 20,
        "merged {merged} vs whole {whole} arrivals"
    );
}

/// A start time already past is refused (exit 2) with the fix in the message;
/// `--start-after` waits and says until when.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_past_start_is_refused_and_start_after_waits() {
    let t = target().await;
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("late.json");
    let out = run_headless(
        &t.url("/ping"),
        &out_path,
        &[
            "--vus",
            "1",
            "--duration",
            "1s",
            "--start-at",
            &start_in(-60),
        ],
    )
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("in the past") && stderr.contains("give a time in the future"),
        "{stderr}"
    );
    assert!(!out_path.exists(), "no run happened");
    let before = chrono::Utc::now();
    let out = run_headless(
        &t.url("/ping"),
        &out_path,
        &["--vus", "1", "--duration", "1s", "--start-after", "2s"],
    )
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("waiting until") && stderr.contains("(in 2s)"),
        "{stderr}"
    );
    let waited = (read(&out_path).started_at - before).num_milliseconds();
    assert!(waited >= 1_900, "started {waited} ms after launch");
}

/// On a terminal the dashboard opens at once, its header counting down to the
/// start and naming the segment; then the run's clock takes over.
#[test]
fn the_dashboard_counts_down_to_the_start_and_shows_the_segment() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("split.toml");
    std::fs::write(
        &profile,
        "name = \"split\"\nbase_url = \"http://127.0.0.1:1\"\n\n\
         [load]\nstages = \"0s:3,2s:3\"\n\n[[request]]\npath = \"/ping\"\n",
    )
    .unwrap();
    let args = [
        "run",
        profile.to_str().unwrap(),
        "--demo",
        "--no-snapshot",
        "--exit-on-end",
        "--start-after",
        "3s",
        "--segment",
        "2/3",
    ];
    let mut s = common::pty::Pty::start(24, 100, &args, &[]);
    s.wait_for("the countdown and the segment", |screen| {
        let header = screen.lines().next()?;
        (header.contains("starts in 00:0") && header.contains("segment 2/3")).then_some(())
    });
    s.wait_for("the run's clock", |screen| {
        let header = screen.lines().next()?;
        (!header.contains("starts in") && header.contains(" / 00:02")).then_some(())
    });
    let status = s.wait_exit();
    assert!(status.success(), "{status:?}\n{}", s.contents());
}

/// The profile of one GET per pick of `/u/{{user}}`, rows from `csv` in `mode`.
fn rows_profile(base: &str, csv: &Path, mode: &str, segment: &str) -> Profile {
    let toml = format!(
        "name = \"rows\"\nbase_url = \"{base}\"\n\
         data = {{ file = \"{}\", mode = \"{mode}\" }}\n\
         [load]\nstages = \"0s:6,1s:6\"\ngraceful_stop = \"5s\"\nsegment = \"{segment}\"\n\
         [[request]]\nname = \"u\"\npath = \"/u/{{{{user}}}}\"\n",
        csv.display()
    );
    parse_profile(&toml, Path::new("rows.toml"), &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs the three segments of `make(segment)` at once, each against its own
/// recording server, with `opts`; returns the users each agent's requests named.
async fn users_by_agent(
    make: impl Fn(&str, &str) -> Profile,
    opts: loadpilot::cli::RunOptions,
) -> Vec<Vec<String>> {
    let servers = [
        Recorder::start().await,
        Recorder::start().await,
        Recorder::start().await,
    ];
    let sessions: Vec<Session> = servers
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let profile = make(&s.url, &format!("{}/3", i + 1));
            Session::start(profile, &opts, None).expect("session starts")
        })
        .collect();
    for session in sessions {
        tokio::time::timeout(Duration::from_secs(30), session.wait())
            .await
            .expect("run ends in time")
            .expect("run ok");
    }
    servers
        .iter()
        .map(|s| {
            s.requests()
                .iter()
                .map(|r| r.path.trim_start_matches("/u/").to_string())
                .collect()
        })
        .collect()
}

fn users_csv(dir: &Path, rows: usize) -> PathBuf {
    let csv = dir.join("users.csv");
    let body: String = (0..rows).map(|i| format!("user{i}\n")).collect();
    std::fs::write(&csv, format!("user\n{body}")).unwrap();
    csv
}

/// `per-vu` rows: 6 VUs over three agents take rows 0..6, each row in exactly
/// one agent (the VUs go by their run-wide ids).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_vu_rows_are_partitioned_between_segments() {
    let dir = tempfile::tempdir().unwrap();
    let csv = users_csv(dir.path(), 20);
    let seen = users_by_agent(|base, seg| rows_profile(base, &csv, "per-vu", seg), opts()).await;
    let sets: Vec<BTreeSet<String>> = seen.into_iter().map(BTreeSet::from_iter).collect();
    for (i, set) in sets.iter().enumerate() {
        assert_eq!(set.len(), 2, "agent {}: {set:?}", i + 1);
    }
    let union: BTreeSet<String> = sets.iter().flatten().cloned().collect();
    let expected: BTreeSet<String> = (0..6).map(|i| format!("user{i}")).collect();
    assert_eq!(union, expected, "no row in two agents, none left out");
}

/// `sequential` rows with `-n 9 --vus 3`: each agent sends exactly its 3
/// requests, and the picks are rows 0..9, each taken once in the whole run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_rows_and_request_counts_split_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let csv = users_csv(dir.path(), 30);
    let opts = loadpilot::cli::RunOptions {
        requests: Some(9),
        vus: Some(3),
        ..opts()
    };
    let seen = users_by_agent(
        |base, seg| rows_profile(base, &csv, "sequential", seg),
        opts,
    )
    .await;
    let counts: Vec<usize> = seen.iter().map(Vec::len).collect();
    assert_eq!(counts, [3, 3, 3], "-n 9 split exactly: {seen:?}");
    let mut all: Vec<String> = seen.into_iter().flatten().collect();
    all.sort();
    let mut expected: Vec<String> = (0..9).map(|i| format!("user{i}")).collect();
    expected.sort();
    assert_eq!(all, expected, "each of rows 0..9 once across the agents");
}

/// `segment` in `[load]` is checked like every key: a bad one names the file,
/// the line and the field.
#[test]
fn a_bad_segment_in_the_profile_names_file_line_and_field() {
    let toml = "name = \"x\"\nbase_url = \"http://127.0.0.1:1\"\n[load]\nstages = \"1s:1\"\nsegment = \"4/3\"\n[[request]]\nname = \"a\"\npath = \"/\"\n";
    let err = parse_profile(toml, Path::new("bad.toml"), &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bad.toml") && err.contains(":5") && err.contains("load.segment"),
        "{err}"
    );
    assert!(err.contains("I must be between 1 and N"), "{err}");
    assert_eq!(Segment::parse("2/3").unwrap().to_string(), "2/3");
}
