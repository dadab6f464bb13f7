//! A run split over agents (`run --headless --agent-listen`) and followed with
//! `loadpilot attach`: real processes on loopback against the demo target.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::pty::Pty;
use common::*;

/// A headless agent run of `url` with `extra` flags; returns the process and
/// its API's base URL (read from its stderr).
fn agent(url: &str, extra: &[&str]) -> (Child, String) {
    let mut cmd = loadpilot();
    cmd.args(["run", url, "--headless", "--agent-listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("agent starts");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let base = loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "the agent exited before listening"
        );
        if let Some(rest) = line.trim().strip_prefix("agent: ") {
            break rest.trim_end_matches("/v1/status").to_string();
        }
    };
    // Keep draining stderr so the agent never blocks on a full pipe.
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut stderr, &mut std::io::sink());
    });
    (child, base)
}

/// One plain HTTP/1.1 exchange; returns the status code and the body.
fn http(base: &str, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, String) {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, body.to_string())
}

fn summary(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn wait_for(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the process did not end within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The local proof of a split run: three agents each run `--segment I/3` of one
/// 6-VU run from one agreed `--start-at`; attach follows them as one run, and its
/// merged snapshot holds exactly the three agents' requests, with histograms
/// equal to `loadpilot merge` of the agents' own snapshots. Each agent ends as
/// soon as attach has its final snapshot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_merges_the_agents_runs_exactly() {
    let t = target().await;
    let dir = tempfile::tempdir().unwrap();
    let url = t.url("/api/items");
    let start_at = (chrono::Utc::now() + chrono::Duration::seconds(4))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let outs: Vec<std::path::PathBuf> = (1..=3)
        .map(|i| dir.path().join(format!("agent-{i}.json")))
        .collect();
    let mut agents: Vec<(Child, String)> = (1..=3)
        .map(|i| {
            let segment = format!("{i}/3");
            let out = outs[i - 1].to_str().unwrap();
            agent(
                &url,
                &[
                    "--vus",
                    "6",
                    "--duration",
                    "3s",
                    "--segment",
                    &segment,
                    "--start-at",
                    &start_at,
                    "--out",
                    out,
                ],
            )
        })
        .collect();
    let urls: Vec<String> = agents.iter().map(|(_, u)| u.clone()).collect();
    let merged = dir.path().join("fleet.json");
    let json = dir.path().join("summary.json");
    let mut cmd = loadpilot();
    cmd.arg("attach")
        .args(&urls)
        .args(["--headless", "--progress-every", "1s"])
        .arg("--out")
        .arg(&merged)
        .arg("--summary-json")
        .arg(&json);
    let out = output(cmd).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{}{stderr}", text(&out.stdout));
    assert!(stderr.contains("VUs"), "progress lines: {stderr}");
    // Each agent leaves once its final snapshot is fetched, well before its linger.
    for (child, _) in &mut agents {
        assert!(wait_for(child, Duration::from_secs(20)).success());
    }
    let fleet = loadpilot::snapshot::read(&merged).unwrap();
    let parts: Vec<loadpilot::snapshot::Snapshot> = outs
        .iter()
        .map(|p| loadpilot::snapshot::read(p).unwrap())
        .collect();
    // One agreed start: every part's clock starts at the same instant.
    for part in &parts {
        assert_eq!(
            part.started_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            start_at
        );
    }
    let count = |s: &loadpilot::snapshot::Snapshot| s.to_record().unwrap().overall.requests();
    assert!(parts.iter().all(|p| count(p) > 0));
    assert_eq!(count(&fleet), parts.iter().map(count).sum::<u64>());
    let by_merge = loadpilot::merge::merge(&parts).unwrap();
    let (f, m) = (fleet.to_record().unwrap(), by_merge.to_record().unwrap());
    for q in [0.5, 0.95, 0.99, 1.0] {
        assert_eq!(
            f.overall.hist.value_at_quantile(q),
            m.overall.hist.value_at_quantile(q),
            "q{q}"
        );
    }
    assert_eq!(summary(&json)["overall"]["count"], count(&fleet));
}

/// Ctrl-C on attach is a stop for every agent: two agents planned for a minute
/// end within seconds and attach still writes the whole run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_reaches_every_agent() {
    let t = target().await;
    let dir = tempfile::tempdir().unwrap();
    let url = t.url("/api/items");
    let (mut a, a_url) = agent(&url, &["--vus", "1", "--duration", "60s", "--no-snapshot"]);
    let (mut b, b_url) = agent(&url, &["--vus", "1", "--duration", "60s", "--no-snapshot"]);
    let json = dir.path().join("summary.json");
    let mut cmd = loadpilot();
    cmd.args(["attach", &a_url, &b_url, "--headless", "--no-snapshot"])
        .arg("--summary-json")
        .arg(&json)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut attach = cmd.spawn().unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let sent = std::process::Command::new("kill")
        .args(["-INT", &attach.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status =
        tokio::task::spawn_blocking(move || wait_for(&mut attach, Duration::from_secs(30)))
            .await
            .unwrap();
    assert!(status.success(), "{status:?}");
    for child in [&mut a, &mut b] {
        assert!(wait_for(child, Duration::from_secs(20)).success());
    }
    let s = summary(&json);
    assert!(
        s["duration_s"].as_f64().unwrap() < 20.0,
        "{}",
        s["duration_s"]
    );
    assert!(s["overall"]["count"].as_u64().unwrap() > 0);
}

/// The API wants the token when one is set (401 without, constant-time
/// checked), refuses a non-loopback address without one, takes commands, and
/// never serves a secret from the run's headers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_api_wants_its_token_and_keeps_secrets() {
    let t = target().await;
    let url = t.url("/api/items");
    let mut cmd = loadpilot();
    cmd.args(["run", &url, "--headless", "--vus", "1", "--duration", "1s"])
        .args(["--agent-listen", "0.0.0.0:0", "--no-snapshot"])
        .env_remove("LOADPILOT_AGENT_TOKEN");
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--agent-token"),
        "{}",
        text(&out.stderr)
    );

    let (mut agent, base) = agent(
        &url,
        &[
            "--vus",
            "1",
            "--duration",
            "30s",
            "--no-snapshot",
            "--agent-token",
            "tok-123",
            "--agent-linger",
            "1s",
            "-H",
            "Authorization: Bearer supersecret-value",
        ],
    );
    let (status, _) = http(&base, "GET", "/v1/status", None, "");
    assert_eq!(status, 401);
    let (status, _) = http(&base, "GET", "/v1/status", Some("tok-124"), "");
    assert_eq!(status, 401);
    let (status, body) = http(&base, "GET", "/v1/status", Some("tok-123"), "");
    assert_eq!(status, 200, "{body}");
    let status_json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status_json["state"], "running");
    std::thread::sleep(Duration::from_millis(1500));
    let (status, record) = http(&base, "GET", "/v1/record", Some("tok-123"), "");
    assert_eq!(status, 200);
    assert!(record.contains("\"format\""), "a snapshot");
    assert!(
        !record.contains("supersecret-value"),
        "the header's secret leaked"
    );
    let (status, _) = http(&base, "GET", "/v1/snapshot", Some("tok-123"), "");
    assert_eq!(status, 409, "no final snapshot while the run goes");
    let (status, body) = http(
        &base,
        "POST",
        "/v1/command",
        Some("tok-123"),
        "{\"command\":\"fly\"}",
    );
    assert_eq!(status, 400, "{body}");
    let (status, _) = http(
        &base,
        "POST",
        "/v1/command",
        Some("tok-123"),
        "{\"command\":\"stop\"}",
    );
    assert_eq!(status, 202);
    let status = tokio::task::spawn_blocking(move || wait_for(&mut agent, Duration::from_secs(20)))
        .await
        .unwrap();
    assert!(
        status.success(),
        "the stopped agent ends after its 1 s linger"
    );
}

/// An agent that dies is marked lost: the run goes on with the other, the
/// summary is still written, the lost agent is named and the exit code says
/// the run is incomplete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_agent_is_lost_and_the_run_goes_on() {
    let t = target().await;
    let dir = tempfile::tempdir().unwrap();
    let url = t.url("/api/items");
    let (mut a, a_url) = agent(
        &url,
        &[
            "--vus",
            "2",
            "--duration",
            "6s",
            "--no-snapshot",
            "--segment",
            "1/2",
        ],
    );
    let (mut b, b_url) = agent(
        &url,
        &[
            "--vus",
            "2",
            "--duration",
            "60s",
            "--no-snapshot",
            "--segment",
            "2/2",
        ],
    );
    let json = dir.path().join("summary.json");
    let mut cmd = loadpilot();
    cmd.args(["attach", &a_url, &b_url, "--headless", "--no-snapshot"])
        .args(["--lost-after", "2s"])
        .arg("--summary-json")
        .arg(&json);
    let attach = tokio::task::spawn_blocking(move || cmd.output().unwrap());
    tokio::time::sleep(Duration::from_secs(2)).await;
    b.kill().unwrap();
    let _ = b.wait();
    let out = attach.await.unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("agent {b_url} (segment 2/2) lost")),
        "the lost segment is named: {stderr}"
    );
    assert!(stderr.contains("missing from the run"), "{stderr}");
    assert!(summary(&json)["overall"]["count"].as_u64().unwrap() > 0);
    assert!(wait_for(&mut a, Duration::from_secs(20)).success());
}

/// `(active, target)` from the dashboard header's `VUs a / t`.
fn header_vus(screen: &str) -> Option<(u32, u32)> {
    let header = screen.lines().nth(1)?;
    let rest = &header[header.rfind("VUs ")? + 4..];
    let mut parts = rest.split_whitespace();
    let active = parts.next()?.parse().ok()?;
    (parts.next()? == "/").then_some(())?;
    Some((active, parts.next()?.parse().ok()?))
}

/// The dashboard over the fleet: the header counts every agent's VUs, `+` adds
/// 10 VUs to the whole run (5 to each of two agents), and `q` stops every agent;
/// the final screen stays until a second `q`, as for a local run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboards_keys_steer_every_agent() {
    let t = target().await;
    let url = t.url("/api/items");
    let (mut a, a_url) = agent(&url, &["--vus", "1", "--duration", "60s", "--no-snapshot"]);
    let (mut b, b_url) = agent(&url, &["--vus", "1", "--duration", "60s", "--no-snapshot"]);
    let mut pty = Pty::start(40, 140, &["attach", &a_url, &b_url, "--no-snapshot"], &[]);
    pty.wait_for("both agents' VUs in the header", |screen| {
        (header_vus(screen)? == (2, 2)).then_some(())
    });
    pty.press("+");
    for base in [&a_url, &b_url] {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let (_, body) = http(base, "GET", "/v1/status", None, "");
            let status: serde_json::Value = serde_json::from_str(&body).unwrap();
            if status["vus_target"] == 6 {
                break;
            }
            assert!(Instant::now() < deadline, "{base}: {status}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    pty.wait_for("the fleet's new target", |screen| {
        (header_vus(screen)?.1 == 12).then_some(())
    });
    pty.press("q");
    for child in [&mut a, &mut b] {
        assert!(wait_for(child, Duration::from_secs(30)).success());
    }
    pty.wait_for("the run to finish", |screen| {
        screen.contains("run finished — q to quit").then_some(())
    });
    pty.press("q");
    assert!(pty.wait_exit().success(), "{}", pty.contents());
    assert!(!pty.alternate_screen(), "the terminal is restored");
}

/// Agents running `--segment i/3` of one 10-VU run: attach shows the whole run
/// (4 + 3 + 3), and `+` (10 more VUs for the run) reaches each agent whole, each
/// taking its share of 20: 7 + 7 + 6, so the shares add up to the run's target.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segmented_agents_take_their_share_of_a_fleet_command() {
    let t = target().await;
    let url = t.url("/api/items");
    let agents: Vec<(Child, String)> = (1..=3)
        .map(|i| {
            let segment = format!("{i}/3");
            let args = ["--vus", "10", "--duration", "60s", "--no-snapshot"];
            agent(&url, &[&args[..], &["--segment", &segment]].concat())
        })
        .collect();
    let urls: Vec<&str> = agents.iter().map(|(_, u)| u.as_str()).collect();
    let mut pty = Pty::start(
        40,
        140,
        &[&["attach"][..], &urls, &["--no-snapshot"]].concat(),
        &[],
    );
    pty.wait_for("the whole run's VUs in the header", |screen| {
        (header_vus(screen)? == (10, 10)).then_some(())
    });
    pty.press("+");
    for (base, share) in urls.iter().zip([7, 7, 6]) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let (_, body) = http(base, "GET", "/v1/status", None, "");
            let status: serde_json::Value = serde_json::from_str(&body).unwrap();
            if status["vus_target"] == share {
                assert_eq!(
                    status["segment"],
                    format!("{}", urls.iter().position(|u| u == base).unwrap() + 1) + "/3"
                );
                break;
            }
            assert!(Instant::now() < deadline, "{base}: {status}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    pty.wait_for("the run's new target", |screen| {
        (header_vus(screen)?.1 == 20).then_some(())
    });
    // `h` holds every agent: each reports HOLD and so does the fleet's header.
    pty.press("h");
    for base in &urls {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let (_, body) = http(base, "GET", "/v1/status", None, "");
            let status: serde_json::Value = serde_json::from_str(&body).unwrap();
            if status["mode"] == "hold" {
                break;
            }
            assert!(Instant::now() < deadline, "{base}: {status}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    pty.wait_for("HOLD in the fleet's header", |screen| {
        screen.lines().nth(1)?.contains(" HOLD ").then_some(())
    });
    pty.press("q");
    for (mut child, _) in agents {
        assert!(wait_for(&mut child, Duration::from_secs(30)).success());
    }
    pty.wait_for("the run to finish", |screen| {
        screen.contains("run finished — q to quit").then_some(())
    });
    pty.press("q");
    assert!(pty.wait_exit().success(), "{}", pty.contents());
}
