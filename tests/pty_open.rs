//! End to end: `loadpilot open` on a snapshot made by a real (headless) run, in a
//! pseudo-terminal (`portable-pty`), its screen parsed with `vt100`. The viewer
//! needs no target: the demo target is stopped before the file is opened.

use std::path::Path;
use std::time::{Duration, Instant};

use loadpilot::demo_target::{TargetConfig, spawn_local};

mod common;

use common::pty::Pty;

const ROWS: u16 = 24;
const COLS: u16 = 80;

fn start(args: &[&str]) -> Pty {
    Pty::start(ROWS, COLS, args, &[])
}

/// The demo target on a loopback port, served by its own runtime for as long
/// as this lives.
struct Target {
    rt: tokio::runtime::Runtime,
    target: Option<loadpilot::demo_target::LocalTarget>,
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

    let mut s = start(&["open", out.to_str().unwrap()]);
    let last = s.wait_for("the viewer header", cursor_time);
    assert!(s.alternate_screen());
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
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn live_run_with_a_baseline_shows_deltas_and_a_bad_baseline_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let before = dir.path().join("before.json");
    let target = Target::start();
    make_snapshot(&target.url(), &before);

    let after = dir.path().join("after.json");
    let mut s = start(&[
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
    let status = s.wait_exit();
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
    let mut s = start(&["compare", before, after, "--fail-if", "p95 +10%"]);
    s.wait_for("the comparison table", |screen| {
        screen.contains("Comparison lines").then_some(())
    });
    scroll_to(&mut s, "WORSE");
    assert!(s.alternate_screen());
    s.press("q");
    let status = s.wait_exit();
    assert_eq!(status.exit_code(), 99, "{}", s.contents());
    assert!(!s.alternate_screen());

    let mut s = start(&["compare", before, after]);
    s.wait_for("the comparison table", |screen| {
        screen.contains("Comparison lines").then_some(())
    });
    s.press("q");
    assert_eq!(s.wait_exit().exit_code(), 0);
}

/// The `b` prompt picks a baseline: ↑/↓ step through the run's snapshot folder
/// newest first, Tab completes a path (a second Tab lists the matches), Enter
/// loads the pick and the deltas line names it.
#[test]
fn the_b_prompt_picks_snapshots_with_arrows_and_completes_paths_with_tab() {
    let dir = tempfile::tempdir().unwrap();
    let snaps = dir.path().join("snaps");
    std::fs::create_dir(&snaps).unwrap();
    let target = Target::start();
    let older = snaps.join("older-run.json");
    make_snapshot(&target.url(), &older);
    let newer = snaps.join("newer-run.json");
    std::fs::copy(&older, &newer).unwrap();
    let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&older)
        .unwrap()
        .set_modified(hour_ago)
        .unwrap();

    // `--out` puts the run's snapshots, so the prompt's choices, in `snaps`.
    let live = snaps.join("live.json");
    let mut s = Pty::start(
        30,
        120,
        &[
            "run",
            &target.url(),
            "--vus",
            "2",
            "--duration",
            "30s",
            "--out",
            live.to_str().unwrap(),
        ],
        &[],
    );
    let footer = |screen: &str| screen.lines().last().unwrap_or_default().to_string();
    // A 30 s run in the default 5-minute window: the charts span its 30 s and
    // the latency title reads the whole run.
    s.wait_for("charts fitted to the run", |screen| {
        let axis_ends_at_the_plan = screen
            .lines()
            .skip(2)
            .any(|l| l.contains("00:30") && !l.contains("05:00"));
        (screen.contains("Latency run ") && axis_ends_at_the_plan).then_some(())
    });
    s.press("b");
    s.wait_for("two snapshots to choose from", |screen| {
        footer(screen).contains("↑↓ 2 recent").then_some(())
    });
    s.press("\x1b[B");
    s.wait_for("the newest first", |screen| {
        let f = footer(screen);
        (f.contains("newer-run.json") && f.contains("snapshot 1/2")).then_some(())
    });
    s.press("\x1b[B");
    s.wait_for("then the older one", |screen| {
        footer(screen).contains("older-run.json").then_some(())
    });
    s.press("\x1b[A");
    s.wait_for("back to the newer one", |screen| {
        footer(screen).contains("newer-run.json").then_some(())
    });
    s.press("\x1b");
    s.wait_for("the prompt closed", |screen| {
        (!footer(screen).contains("baseline file")).then_some(())
    });

    // Tab: the folder's two snapshots share no prefix past the folder, so the
    // first Tab adds nothing and the second lists them.
    s.press("b");
    s.press(&format!("{}/", snaps.display()));
    s.press("\t");
    std::thread::sleep(Duration::from_millis(200));
    s.press("\t");
    s.wait_for("the matches listed", |screen| {
        let f = footer(screen);
        (f.contains("newer-run.json  older-run.json")).then_some(())
    });
    // Typing narrows it; Tab completes the one match.
    s.press("n\t");
    s.wait_for("the path completed", |screen| {
        let f = footer(screen);
        f.contains(&format!("{}▏", newer.display())).then_some(())
    });
    s.press("\r");
    s.wait_for("the baseline loaded", |screen| {
        screen.contains("vs newer-run.json").then_some(())
    });
    s.press("q");
    s.wait_for("the run to stop", |screen| {
        screen.contains("run finished — q to quit").then_some(())
    });
    s.press("q");
    let status = s.wait_exit();
    assert!(status.success(), "{status:?}:\n{}", s.contents());
    target.stop();
}
