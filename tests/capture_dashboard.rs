//! Not a check: writes the README's dashboard captures from a real run. Ignored
//! in the suite; `scripts/capture-dashboard.sh` runs it. `loadpilot demo` (the
//! demo target and profile) runs in a pseudo-terminal at 80×24 and at 140×40
//! for `CAPTURE_SECS` seconds (default 45) each, and the screen text goes to
//! `assets/dashboard-80x24.txt` and `assets/dashboard.txt`.

mod common;

use std::time::{Duration, Instant};

use common::pty::Pty;

/// The header's `mm:ss / mm:ss`: the run time shown, in seconds.
fn shown_secs(screen: &str) -> Option<u64> {
    let header = screen.lines().next()?;
    let clock = header.split_whitespace().rev().nth(2)?;
    let (m, s) = clock.split_once(':')?;
    Some(m.parse::<u64>().ok()? * 60 + s.parse::<u64>().ok()?)
}

/// The screen once the run has shown `secs` seconds, trailing blanks trimmed.
fn capture(rows: u16, cols: u16, secs: u64) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("capture.json");
    let mut s = Pty::start(rows, cols, &["demo", "--out", out.to_str().unwrap()], &[]);
    let deadline = Instant::now() + Duration::from_secs(secs + 30);
    loop {
        let screen = s.contents();
        if shown_secs(&screen).is_some_and(|t| t >= secs) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the demo did not get to {secs}s:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let screen: Vec<String> = s
        .contents()
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect();
    // q stops gracefully, the second q quits.
    s.press("q");
    std::thread::sleep(Duration::from_millis(300));
    s.press("q");
    s.wait_exit();
    screen.join("\n") + "\n"
}

#[test]
#[ignore = "writes assets/; run by scripts/capture-dashboard.sh"]
fn capture_dashboards() {
    let secs = std::env::var("CAPTURE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(45);
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    for (rows, cols, file) in [(24, 80, "dashboard-80x24.txt"), (40, 140, "dashboard.txt")] {
        let text = capture(rows, cols, secs);
        assert!(text.contains("Latency"), "{text}");
        std::fs::write(assets.join(file), text).unwrap();
    }
}

#[test]
fn header_clock_is_read() {
    let header = " loadpilot demo → http://127.0.0.1:1                00:44 / 02:00\n";
    assert_eq!(shown_secs(header), Some(44));
}
