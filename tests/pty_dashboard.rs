//! End to end: the real binary under a pseudo-terminal (`portable-pty`), its screen
//! parsed with `vt100`. `loadpilot demo` starts the demo target and the dashboard;
//! keys steer the run and the header must show what the engine reports.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, PtySize, native_pty_system};

const ROWS: u16 = 30;
const COLS: u16 = 100;
/// Each wait (and the whole test) stays well under a minute.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);
const TEST_TIMEOUT: Duration = Duration::from_secs(60);

struct Session {
    screen: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    started: Instant,
}

impl Session {
    fn start(args: &[&str]) -> Session {
        Session::start_with_env(args, &[])
    }

    fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Session {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_loadpilot"));
        cmd.args(args);
        cmd.cwd(env!("CARGO_MANIFEST_DIR"));
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).expect("spawn loadpilot");
        drop(pty.slave);
        let size = |n: u16| std::num::NonZeroU16::new(n).unwrap();
        let screen = Arc::new(Mutex::new(vt100::Parser::new(size(ROWS), size(COLS), 0)));
        let mut reader = pty.master.try_clone_reader().expect("pty reader");
        let feed = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                feed.lock().unwrap().process(&buf[..n]);
            }
        });
        let writer = pty.master.take_writer().expect("pty writer");
        // Keep the master open for the session's life (dropping it hangs up the child).
        std::mem::forget(pty.master);
        Session {
            screen,
            writer,
            child,
            started: Instant::now(),
        }
    }

    fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    fn press(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Polls the screen until `check` returns `Some`, or fails with the screen.
    fn wait_for<T>(&self, what: &str, check: impl Fn(&str) -> Option<T>) -> T {
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            let screen = self.contents();
            if let Some(found) = check(&screen) {
                return found;
            }
            assert!(
                Instant::now() < deadline && self.started.elapsed() < TEST_TIMEOUT,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
    }
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

/// Waits for the child to exit and for the last bytes to reach the parser.
fn wait_exit(s: &mut Session) -> portable_pty::ExitStatus {
    let deadline = Instant::now() + STEP_TIMEOUT;
    let status = loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "loadpilot did not exit:\n{}",
            s.contents()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_millis(200));
    status
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
    let mut s = Session::start(&["demo", "--out", out.to_str().unwrap()]);

    let (_, target0) = s.wait_for("the dashboard header", vus);
    assert!(s.screen.lock().unwrap().screen().alternate_screen());

    // `+` twice: +20 VUs; the header shows the engine's new target, then the VUs active.
    s.press("+");
    s.press("+");
    let target = s.wait_for("target +20", |screen| {
        let (_, target) = vus(screen)?;
        (target >= target0 + 20 && mode(screen) == Some("MANUAL")).then_some(target)
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
    let status = wait_exit(&mut s);
    assert!(
        status.success(),
        "exit status {status:?}:\n{}",
        s.contents()
    );
    assert!(
        !s.screen.lock().unwrap().screen().alternate_screen(),
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
    let mut s = Session::start(&["demo", "--out", out.to_str().unwrap()]);
    s.wait_for("VUs running", |screen| {
        vus(screen).and_then(|(active, _)| (active > 0).then_some(()))
    });
    // In raw mode Ctrl-C is a key: the first asks for a graceful stop, the second forces it.
    s.press("\u{3}");
    s.press("\u{3}");
    let status = wait_exit(&mut s);
    assert!(
        matches!(status.exit_code(), 0 | 99),
        "exit status {status:?}:\n{}",
        s.contents()
    );
    assert!(!s.screen.lock().unwrap().screen().alternate_screen());
    assert_snapshot(&out);
}

#[cfg(unix)]
#[test]
fn sigterm_restores_the_terminal_and_writes_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.json");
    let mut s = Session::start(&["demo", "--out", out.to_str().unwrap()]);
    s.wait_for("VUs running", |screen| {
        vus(screen).and_then(|(active, _)| (active > 0).then_some(()))
    });
    let pid = s.child.process_id().expect("child pid");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = wait_exit(&mut s);
    assert!(
        matches!(status.exit_code(), 0 | 99),
        "exit status {status:?}:\n{}",
        s.contents()
    );
    assert!(!s.screen.lock().unwrap().screen().alternate_screen());
    assert_snapshot(&out);
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
    let mut s = Session::start_with_env(
        &["demo", "--out", out.to_str().unwrap()],
        &[("LOADPILOT_TEST_PANIC", "1")],
    );
    let status = wait_exit(&mut s);
    let screen = s.contents();
    assert_eq!(status.exit_code(), 1, "{screen}");
    assert!(
        !s.screen.lock().unwrap().screen().alternate_screen(),
        "the terminal was left on the alternate screen"
    );
    // The message printed on the restored, normal screen, and the run ended properly.
    assert!(screen.contains("a deliberate panic"), "{screen}");
    // The summary still printed (its threshold table ends it).
    assert!(screen.contains("error_rate < 25%"), "{screen}");
    assert_snapshot(&out);
}
