//! End to end: `loadpilot open` on a snapshot made by a real (headless) run, in a
//! pseudo-terminal (`portable-pty`), its screen parsed with `vt100`. The viewer
//! needs no target: the demo target is stopped before the file is opened.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use loadpilot::target::{TargetConfig, spawn_local};
use portable_pty::{Child, CommandBuilder, PtySize, native_pty_system};

const ROWS: u16 = 24;
const COLS: u16 = 80;
/// Each wait stays well under the test's bound.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);

/// The demo target on a loopback port, served by its own runtime for as long
/// as this lives.
struct Target {
    rt: tokio::runtime::Runtime,
    target: Option<loadpilot::target::LocalTarget>,
}

impl Target {
    fn start() -> Target {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let target = rt
            .block_on(spawn_local(TargetConfig::default()))
            .expect("demo target starts");
        Target {
            rt,
            target: Some(target),
        }
    }

    fn url(&self) -> String {
        self.target.as_ref().unwrap().url("/ping")
    }

    /// Stops the target: nothing answers on its port any more.
    fn stop(mut self) {
        drop(self.target.take());
        self.rt.shutdown_timeout(Duration::from_secs(5));
    }
}

/// `loadpilot run URL --vus 2 --duration 3s --headless --out FILE`.
fn make_snapshot(url: &str, out: &Path) {
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_loadpilot"))
        .args(["run", url, "--vus", "2", "--duration", "3s"])
        .args(["--headless", "--out", out.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run loadpilot");
    assert!(status.success(), "the headless run failed: {status:?}");
    assert!(out.exists(), "no snapshot at {}", out.display());
}

/// Waits for the child to exit and for the last bytes to reach the parser.
fn wait_exit(s: &mut Pty) -> portable_pty::ExitStatus {
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

struct Pty {
    screen: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
}

impl Pty {
    fn start(args: &[&str]) -> Pty {
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
        Pty {
            screen,
            writer,
            child,
        }
    }

    fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    fn press(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    fn wait_for<T>(&self, what: &str, check: impl Fn(&str) -> Option<T>) -> T {
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            let screen = self.contents();
            if let Some(found) = check(&screen) {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
    }
}

/// The cursor's time from the header's `at mm:ss / mm:ss`.
fn cursor_time(screen: &str) -> Option<String> {
    let header = screen.lines().next()?;
    let rest = &header[header.rfind("at ")? + 3..];
    let time = rest.split_whitespace().next()?;
    (time.len() == 5 && time.as_bytes()[2] == b':').then(|| time.to_string())
}

#[test]
fn open_moves_the_cursor_refuses_steering_and_quits_cleanly() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.json");
    let target = Target::start();
    make_snapshot(&target.url(), &out);
    // The viewer reads only the file.
    target.stop();

    let mut s = Pty::start(&["open", out.to_str().unwrap()]);
    let last = s.wait_for("the viewer header", cursor_time);
    assert!(s.screen.lock().unwrap().screen().alternate_screen());
    assert!(s.contents().contains(" VIEW "), "{}", s.contents());

    // ← moves the cursor a second back: the shown time changes.
    s.press("\u{1b}[D");
    let earlier = s.wait_for("the cursor to move back", |screen| {
        cursor_time(screen).filter(|t| *t != last)
    });
    assert!(earlier < last, "{earlier} should be before {last}");
    // Home goes to the start, End back to the last second.
    s.press("\u{1b}[H");
    s.wait_for("the cursor at the start", |screen| {
        (cursor_time(screen)? == "00:00").then_some(())
    });
    s.press("\u{1b}[F");
    s.wait_for("the cursor at the end", |screen| {
        (cursor_time(screen)? == last).then_some(())
    });

    // A key that would steer a run is refused out loud.
    s.press("+");
    s.wait_for("the read-only hint", |screen| {
        screen
            .contains("read-only: this is a saved run")
            .then_some(())
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
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn live_run_with_a_baseline_shows_deltas_and_a_bad_baseline_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let before = dir.path().join("before.json");
    let target = Target::start();
    make_snapshot(&target.url(), &before);

    let after = dir.path().join("after.json");
    let mut s = Pty::start(&[
        "run",
        &target.url(),
        "--vus",
        "2",
        "--duration",
        "3s",
        "--baseline",
        before.to_str().unwrap(),
        "--out",
        after.to_str().unwrap(),
    ]);
    s.wait_for("the deltas line", |screen| {
        let line = screen.lines().nth(2)?;
        (line.contains("vs before.json") && line.contains("Δp95")).then_some(())
    });
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

    // A file that is not a snapshot stops the run before it starts (exit 2).
    let bogus = dir.path().join("bogus.json");
    std::fs::write(&bogus, "{}").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_loadpilot"))
        .args(["run", &target.url(), "--vus", "1", "--duration", "1s"])
        .args([
            "--headless",
            "--no-snapshot",
            "--baseline",
            bogus.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bogus.json"), "{stderr}");
    target.stop();
}

#[test]
fn header_parsing() {
    let screen = " loadpilot test → http://x                        at 00:02 / 00:03 \n";
    assert_eq!(cursor_time(screen).as_deref(), Some("00:02"));
    assert_eq!(cursor_time(" loadpilot\n"), None);
}

/// Scrolls the comparison table down (`j`) until `text` shows.
fn scroll_to(s: &mut Pty, text: &str) {
    for _ in 0..40 {
        if s.contents().contains(text) {
            return;
        }
        s.press("j");
        std::thread::sleep(Duration::from_millis(50));
    }
    s.wait_for(text, |screen| screen.contains(text).then_some(()));
}

#[test]
fn compare_on_a_terminal_overlays_both_runs_then_keeps_the_exit_code() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/snapshots");
    let before = fixtures.join("before.json");
    let after = fixtures.join("after.json");
    let (before, after) = (before.to_str().unwrap(), after.to_str().unwrap());

    // The regression gate fails: the view shows both runs and the table, `q` leaves
    // it, and the exit code is still 99.
    let mut s = Pty::start(&["compare", before, after, "--fail-if", "p95 +10%"]);
    s.wait_for("the comparison table", |screen| {
        screen.contains("Comparison lines").then_some(())
    });
    scroll_to(&mut s, "WORSE");
    assert!(s.screen.lock().unwrap().screen().alternate_screen());
    s.press("q");
    let status = wait_exit(&mut s);
    assert_eq!(status.exit_code(), 99, "{}", s.contents());
    assert!(!s.screen.lock().unwrap().screen().alternate_screen());

    let mut s = Pty::start(&["compare", before, after]);
    s.wait_for("the comparison table", |screen| {
        screen.contains("Comparison lines").then_some(())
    });
    s.press("q");
    assert_eq!(wait_exit(&mut s).exit_code(), 0);
}
