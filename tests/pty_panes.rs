//! End to end: the journeys (`f`) and stages (`g`) panes of the real binary in a
//! pseudo-terminal at 80×24 (`portable-pty`, screen parsed with `vt100`), on a
//! short run with a flow and named stages against the demo target (`--demo`),
//! then in `loadpilot open` on the snapshot that run wrote.

mod common;

use common::pty::Pty;

const ROWS: u16 = 24;
const COLS: u16 = 80;

/// A flow of two steps, a check and a custom metric, over three named stages
/// (the last lowers the load, so a recovery is measured).
const PROFILE: &str = r#"
name = "panes"
base_url = "${BASE_URL:-http://127.0.0.1:1}"

[load]
stages = [
  { name = "warm-up", duration = "3s", target = 2 },
  { name = "peak", duration = "3s", target = 4 },
  { name = "cool-down", duration = "3s", target = 1 },
]
graceful_stop = "2s"

[defaults]
think_time = "50ms"

[[flow]]
name = "browse"

[[flow.step]]
name = "ping"
path = "/ping"
check = { status = 200 }

[[flow.step]]
name = "items"
path = "/api/items"
check = { status = "2xx" }
metric = { name = "json_type", header = "Content-Type", equals = "application/json" }
"#;

/// The text of the table pane's top border (`╭ Journeys …`), if shown.
fn pane_title<'a>(screen: &'a str, title: &str) -> Option<&'a str> {
    screen.lines().find(|l| l.contains(&format!("╭ {title} ")))
}

#[test]
fn journeys_and_stages_panes_live_and_in_open() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("panes.toml");
    std::fs::write(&profile, PROFILE).unwrap();
    let out = dir.path().join("run.json");
    let mut s = Pty::start(
        ROWS,
        COLS,
        &[
            "run",
            profile.to_str().unwrap(),
            "--demo",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    s.wait_for("the dashboard", |screen| {
        pane_title(screen, "Requests").map(|_| ())
    });

    // f: the flow with its figures, checks' pass rate in the title.
    s.press("f");
    s.wait_for("the journeys pane with the flow", |screen| {
        let title = pane_title(screen, "Journeys")?;
        (title.contains("checks") && screen.contains("browse") && screen.contains("json_type"))
            .then_some(())
    });
    // g: the stages reached so far (the running one marked `▶`, shown in
    // `ui_panes`; a loaded machine may only draw it once the run is over).
    s.press("g");
    s.wait_for("the stages pane", |screen| {
        pane_title(screen, "Stages")?;
        screen.contains("warm-up").then_some(())
    });
    s.wait_for("the run to finish", |screen| {
        screen.contains("run finished — q to quit").then_some(())
    });
    let finished = s.contents();
    assert!(finished.contains("cool-down"), "{finished}");
    s.press("q");
    let status = s.wait_exit();
    assert!(status.success(), "{status:?}:\n{}", s.contents());
    assert!(out.exists(), "no snapshot at {}", out.display());

    // The saved run: both panes over the whole run.
    let mut v = Pty::start(ROWS, COLS, &["open", out.to_str().unwrap()], &[]);
    v.wait_for("the viewer", |screen| {
        screen.contains(" VIEW ").then_some(())
    });
    v.press("f");
    v.wait_for("the saved journeys", |screen| {
        let title = pane_title(screen, "Journeys")?;
        (title.contains("whole run") && screen.contains("browse")).then_some(())
    });
    v.press("g");
    v.wait_for("the saved stages", |screen| {
        let title = pane_title(screen, "Stages")?;
        (title.contains("whole run") && screen.contains("peak") && screen.contains("cool-down"))
            .then_some(())
    });
    v.press("g");
    v.wait_for("back to the requests", |screen| {
        pane_title(screen, "Requests").map(|_| ())
    });
    v.press("q");
    let status = v.wait_exit();
    assert!(status.success(), "{status:?}:\n{}", v.contents());
}
