//! End to end: the real binary under a pseudo-terminal (`portable-pty`), its screen
//! parsed with `vt100`. `loadpilot demo` starts the demo target and the dashboard;
//! keys steer the run and the header must show what the engine reports.

mod common;

use common::pty::Pty;

const ROWS: u16 = 30;
const COLS: u16 = 100;

fn start(args: &[&str]) -> Pty {
    Pty::start(ROWS, COLS, args, &[])
}

fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Pty {
    Pty::start(ROWS, COLS, args, env)
}

/// `(active, target)` from the header's `VUs a / t` (the second header line).
fn vus(screen: &str) -> Option<(u32, u32)> {
    let header = screen.lines().nth(1)?;
    let rest = &header[header.rfind("VUs ")? + 4..];
    let mut parts = rest.split_whitespace();
    let active = parts.next()?.parse().ok()?;
    (parts.next()? == "/").then_some(())?;
    let target = parts.next()?.parse().ok()?;
    Some((active, target))
}

fn mode(screen: &str) -> Option<&'static str> {
    let header = screen.lines().nth(1)?;
    ["RAMPING", "HOLD", "MANUAL", "PAUSED", "STOPPING", "DONE"]
        .into_iter()
        .find(|m| header.contains(&format!(" {m} ")))
}

/// The snapshot file parses and is a complete loadpilot snapshot with requests in it.
fn assert_snapshot(path: &std::path::Path) {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("snapshot {} missing: {e}", path.display()));
    let json: serde_json::Value = serde_json::from_str(&text).expect("snapshot is JSON");
    assert_eq!(json["format"], "loadpilot-snapshot");
    assert_eq!(json["complete"], true);
    assert!(!json["series"].as_array().unwrap().is_empty());
    // Atomic write: no temp file left beside it.
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

#[test]
fn demo_dashboard_keys_steer_the_run_and_quit_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.json");
    let mut s = start(&["demo", "--out", out.to_str().unwrap()]);

    let (_, target0) = s.wait_for("the dashboard header", vus);
    assert!(s.alternate_screen());

    // `+` three times: +30 VUs; the header shows the engine's new target, then the
    // VUs active. (Not +20: from 0 that is the first stage's own target, and
    // resuming a stage at its own target is a scheduled HOLD, not a ramp.)
    s.press("+");
    s.press("+");
    s.press("+");
    let target = s.wait_for("target +30", |screen| {
        let (_, target) = vus(screen)?;
        (target >= target0 + 30 && mode(screen) == Some("MANUAL")).then_some(target)
    });
    s.wait_for("the new VUs active", |screen| {
        let (active, now) = vus(screen)?;
        (now == target && active == target).then_some(())
    });

    // `+` left the plan MANUAL; `r` lets the schedule run again, then `h` holds it
    // (HOLD) and `r` resumes it (RAMPING).
    s.press("r");
    s.wait_for("mode RAMPING after MANUAL", |screen| {
        (mode(screen) == Some("RAMPING")).then_some(())
    });
    s.press("h");
    s.wait_for("mode HOLD", |screen| {
        (mode(screen) == Some("HOLD")).then_some(())
    });
    s.press("r");
    s.wait_for("mode RAMPING", |screen| {
        (mode(screen) == Some("RAMPING")).then_some(())
    });

    // `s`: a mid-run snapshot beside the final one; the run goes on.
    s.press("s");
    s.wait_for("the snapshot saved line", |screen| {
        screen.contains("snapshot saved").then_some(())
    });
    let mid_run: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("run-at-"))
        .collect();
    assert_eq!(mid_run.len(), 1, "{mid_run:?}");

    // `q`: graceful stop; the dashboard stays on the final frame until `q` again.
    s.press("q");
    s.wait_for("the run to finish", |screen| {
        screen.contains("run finished — q to quit").then_some(())
    });
    s.press("q");
    let status = s.wait_exit();
    assert!(
        status.success(),
        "exit status {status:?}:\n{}",
        s.contents()
    );
    assert!(
        !s.alternate_screen(),
        "the terminal was left on the alternate screen"
    );
    assert_snapshot(&out);
}

// A stopped run still reports its thresholds: 0 when they pass, 99 when a short run
// failed one (the demo's error budget can trip in its first second). Either way the
// process exits normally, restores the terminal and writes the snapshot.

#[test]
fn ctrl_c_twice_forces_quit_restores_the_terminal_and_writes_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.json");
    let mut s = start(&["demo", "--out", out.to_str().unwrap()]);
    s.wait_for("VUs running", |screen| {
        vus(screen).and_then(|(active, _)| (active > 0).then_some(()))
    });
    // In raw mode Ctrl-C is a key: the first asks for a graceful stop, the second forces it.
    s.press("\u{3}");
    s.press("\u{3}");
    let status = s.wait_exit();
    assert!(
        matches!(status.exit_code(), 0 | 99),
        "exit status {status:?}:\n{}",
        s.contents()
    );
    assert!(!s.alternate_screen());
    assert_snapshot(&out);
}

/// Sends `signal` to the dashboard while VUs run: the run stops gracefully, the
/// terminal is restored, the summary is printed and the snapshot written.
#[cfg(unix)]
fn signal_restores_the_terminal_and_writes_the_snapshot(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.json");
    let mut s = start(&["demo", "--out", out.to_str().unwrap()]);
    s.wait_for("VUs running", |screen| {
        vus(screen).and_then(|(active, _)| (active > 0).then_some(()))
    });
    let pid = s.child.process_id().expect("child pid");
    let killed = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = s.wait_exit();
    assert!(
        matches!(status.exit_code(), 0 | 99),
        "SIG{signal}: exit status {status:?}:\n{}",
        s.contents()
    );
    assert!(
        !s.alternate_screen(),
        "SIG{signal}: still on the alternate screen"
    );
    // The summary printed on the restored screen (its threshold table ends it).
    assert!(
        s.contents().contains("error_rate < 25%"),
        "{}",
        s.contents()
    );
    assert_snapshot(&out);
}

#[cfg(unix)]
#[test]
fn sigterm_restores_the_terminal_and_writes_the_snapshot() {
    signal_restores_the_terminal_and_writes_the_snapshot("TERM");
}

#[cfg(unix)]
#[test]
fn sighup_restores_the_terminal_and_writes_the_snapshot() {
    signal_restores_the_terminal_and_writes_the_snapshot("HUP");
}

#[cfg(unix)]
#[test]
fn sigquit_restores_the_terminal_and_writes_the_snapshot() {
    signal_restores_the_terminal_and_writes_the_snapshot("QUIT");
}

#[test]
fn header_parsing() {
    let screen =
        " loadpilot demo → http://x\n stage 1/3 ██ → 10 VUs   MANUAL   VUs 12 / 30  rps 1\n";
    assert_eq!(vus(screen), Some((12, 30)));
    assert_eq!(mode(screen), Some("MANUAL"));
}

#[test]
fn a_panic_in_the_dashboard_restores_the_terminal_and_still_writes_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.json");
    let mut s = start_with_env(
        &["demo", "--out", out.to_str().unwrap()],
        &[("LOADPILOT_TEST_PANIC", "1")],
    );
    let status = s.wait_exit();
    let screen = s.contents();
    assert_eq!(status.exit_code(), 1, "{screen}");
    assert!(
        !s.alternate_screen(),
        "the terminal was left on the alternate screen"
    );
    // The message printed on the restored, normal screen, and the run ended properly.
    assert!(screen.contains("a deliberate panic"), "{screen}");
    // The summary still printed (its threshold table ends it).
    assert!(screen.contains("error_rate < 25%"), "{screen}");
    assert_snapshot(&out);
}

/// `rate N/s` from the open model's header.
fn rate(screen: &str) -> Option<u32> {
    let header = screen.lines().nth(1)?;
    let rest = &header[header.find("rate ")? + 5..];
    rest.split("/s").next()?.trim().parse().ok()
}

#[test]
fn open_model_dashboard_shows_and_steers_the_rate_and_switches_latency() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.json");
    let mut s = start(&[
        "demo",
        "--rate",
        "20",
        "--duration",
        "1m",
        "--out",
        out.to_str().unwrap(),
    ]);
    let first = s.wait_for("the rate in the header", rate);
    assert_eq!(first, 20);
    s.wait_for("the latency basis in the pane title", |screen| {
        screen.contains("from intended start").then_some(())
    });
    // `+` adds 10 to the rate in the open model.
    s.press("+");
    s.wait_for("rate 30/s", |screen| {
        (rate(screen) == Some(30)).then_some(())
    });
    s.wait_for("the log in requests per second", |screen| {
        screen.contains("rate 20/s → 30/s").then_some(())
    });
    // `t`: the pane shows the service time instead.
    s.press("t");
    s.wait_for("the service-time title", |screen| {
        screen.contains("service time").then_some(())
    });
    s.press("q");
    s.wait_for("the run to finish", |screen| {
        screen.contains("run finished — q to quit").then_some(())
    });
    s.press("q");
    // The demo profile's thresholds may fail in a run this short (99), as above.
    let status = s.wait_exit();
    assert!(
        matches!(status.exit_code(), 0 | 99),
        "exit status {status:?}:\n{}",
        s.contents()
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(json["load_model"], "rate");
    assert_eq!(json["latency_basis"]["basis"], "intended_start");
    assert!(json["overall"]["arrivals"].as_u64().unwrap() > 0);
    assert!(json["overall"]["service_us"].is_string());
}

/// The run's summary printed after the dashboard closed by itself.
fn assert_closed_by_itself(s: &mut Pty) {
    let status = s.wait_exit();
    // 0, or 99 when a short demo run failed a threshold: either way it ended by itself.
    assert!(
        status.success() || status.exit_code() == 99,
        "exit status {status:?}:\n{}",
        s.contents()
    );
    assert!(!s.alternate_screen(), "the terminal was restored");
    assert!(
        s.contents().contains("│ overall "),
        "the summary follows the dashboard:\n{}",
        s.contents()
    );
}

/// Issue 13 point 8: `--exit-on-end` closes the dashboard when the run ends,
/// with no key pressed.
#[test]
fn exit_on_end_closes_the_dashboard_when_the_run_ends() {
    let mut s = start(&["demo", "--no-snapshot", "--duration", "2s", "--exit-on-end"]);
    s.wait_for("the dashboard header", vus);
    assert!(s.alternate_screen());
    assert_closed_by_itself(&mut s);
}

/// Issue 13 point 8: the profile key `exit_on_end = true` does the same.
#[test]
fn the_exit_on_end_profile_key_closes_the_dashboard_when_the_run_ends() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("unattended.toml");
    std::fs::write(
        &profile,
        "name = \"unattended\"\nbase_url = \"http://127.0.0.1:1\"\nexit_on_end = true\n\n\
         [load]\nstages = \"0s:2,2s:2\"\n\n[[request]]\npath = \"/ping\"\n",
    )
    .unwrap();
    let mut s = start(&["run", profile.to_str().unwrap(), "--demo", "--no-snapshot"]);
    s.wait_for("the dashboard header", vus);
    assert_closed_by_itself(&mut s);
}

/// A URL run's dashboard header names the method (`-m POST`), and a run with
/// no load flags plans oha's 10 s.
#[test]
fn the_header_names_the_method_of_a_url_run() {
    let port = common::closed_port();
    let url = format!("http://127.0.0.1:{port}/orders");
    let mut s = start(&[&url, "-m", "POST", "-d", "x", "--no-snapshot"]);
    let expected = format!("orders → POST http://127.0.0.1:{port}");
    s.wait_for("the method in the header", |screen| {
        (screen.contains(&expected) && screen.contains("/ 00:10")).then_some(())
    });
    s.press("q");
    s.wait_for("the run to finish", |screen| {
        screen.contains("run finished — q to quit").then_some(())
    });
    s.press("q");
    let status = s.wait_exit();
    assert_eq!(status.exit_code(), 0, "{}", s.contents());
}

/// `a` turns the closed-model demo into an arrival rate at its throughput (the
/// header then reads `rate N/s`), `v` turns it back into VUs; both are logged
/// and saved as actions in the snapshot.
#[test]
fn a_switches_to_an_arrival_rate_and_v_back_to_vus() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.json");
    let mut s = start(&[
        "demo",
        "--vus",
        "2",
        "--duration",
        "1m",
        "--out",
        out.to_str().unwrap(),
    ]);
    s.wait_for("2 VUs", |screen| (vus(screen)? == (2, 2)).then_some(()));
    // The first second must close before there is a throughput to switch to.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    s.press("a");
    let switched = s.wait_for("the header in requests per second", rate);
    assert!(switched > 0);
    s.wait_for("the switch in the log", |screen| {
        screen.contains("switch to arrival rate").then_some(())
    });
    s.press("v");
    s.wait_for("VUs in the header again", vus);
    s.wait_for("the switch back in the log", |screen| {
        screen.contains("switch to VUs (").then_some(())
    });
    s.press("q");
    s.wait_for("the run to finish", |screen| {
        screen.contains("run finished — q to quit").then_some(())
    });
    s.press("q");
    let status = s.wait_exit();
    assert!(
        matches!(status.exit_code(), 0 | 99),
        "exit status {status:?}:\n{}",
        s.contents()
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let commands: Vec<&str> = json["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["command"].as_str())
        .collect();
    assert!(
        commands.starts_with(&["switch_to_rate", "switch_to_vus"]),
        "{commands:?}"
    );
    assert_eq!(json["actions"][0]["rate"], switched);
}

/// find-limit on a terminal: the steps pane replaces the requests pane, marks
/// the step running (`▶`), fills in each verdict as its hold ends, and the run
/// ends by itself after the ramp-down.
#[test]
fn find_limit_shows_its_steps_live() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.json");
    // Tall and wide enough for the requests pane, which the steps replace.
    let mut s = Pty::start(
        36,
        120,
        &[
            "find-limit",
            "http://127.0.0.1:9/ping",
            "--demo",
            "--rate",
            "--start",
            "20",
            "--step",
            "20",
            "--max",
            "40",
            "--hold",
            "2s",
            "--until",
            "p95 > 5s",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    s.wait_for("the steps pane with step 1 running", |screen| {
        (screen.contains("╭ Steps") && screen.contains("▶ 1") && !screen.contains("╭ Requests"))
            .then_some(())
    });
    s.wait_for("step 1 judged and step 2 running", |screen| {
        (screen.contains("✓ pass") && screen.contains("▶ 2")).then_some(())
    });
    s.wait_for("both steps judged, the run over", |screen| {
        (screen.matches("✓ pass").count() == 2 && screen.contains("run finished — q to quit"))
            .then_some(())
    });
    assert!(!s.contents().contains("▶ "), "no step runs any more");
    s.press("q");
    let status = s.wait_exit();
    assert_eq!(status.exit_code(), 0, "{}", s.contents());
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(json["find_limit"]["reached_max"], true);
    let ramps = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["text"].as_str().unwrap().contains("to 0/s over 1s"))
        .count();
    assert_eq!(ramps, 1, "one ramp-down, the schedule's own");
}
