//! Whole-dashboard renders into ratatui's `TestBackend`, snapshotted with insta,
//! from fixed `Dashboard` data (no randomness, fixed times).

use std::sync::Arc;
use std::time::Duration;

use loadpilot::metrics::dashboard::{
    ClassStat, Dashboard, LogEntry, LogKind, Percentiles, RequestStat, RunMode, SecondRow, Series,
    StageStatus, SystemStatus, ThresholdStatus, Verdict, WindowLatency,
};
use loadpilot::outcome::OutcomeClass;
use loadpilot::ui::keymap::KeyAction;
use loadpilot::ui::layout::Pane;
use loadpilot::ui::msg::{Msg, TimeWindow};
use loadpilot::ui::state::App;
use loadpilot::ui::theme::Theme;
use loadpilot::ui::view::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

const GIB: u64 = 1024 * 1024 * 1024;
const MIB: u64 = 1024 * 1024;

/// A deterministic wobble in 0..=1 (no randomness in fixtures).
fn wobble(t: u32, period: u32) -> f64 {
    f64::from(t % period) / f64::from(period)
}

fn percentiles(base_ms: f64) -> Percentiles {
    let us = |ms: f64| (ms * 1000.0) as u64;
    Percentiles {
        p50_us: us(base_ms),
        p90_us: us(base_ms * 1.8),
        p95_us: us(base_ms * 2.2),
        p99_us: us(base_ms * 3.5),
        max_us: us(base_ms * 6.0),
    }
}

/// `seconds` closed rows, ramping VUs, errors starting at `errors_from_s`.
fn series(seconds: u32, errors_from_s: u32, error_share: f64) -> Series {
    let rows: Vec<SecondRow> = (0..seconds)
        .map(|t| {
            let vus = (t / 3).min(50);
            let requests = u64::from(vus) * 20 + (wobble(t, 7) * 40.0) as u64;
            let mut classes = [0; OutcomeClass::COUNT];
            let errors = if t >= errors_from_s {
                (requests as f64 * error_share) as u64
            } else {
                0
            };
            classes[OutcomeClass::Ok.index()] = requests - errors;
            classes[OutcomeClass::S500.index()] = errors / 2;
            classes[OutcomeClass::Timeout.index()] = errors - errors / 2;
            SecondRow {
                t_s: t,
                requests,
                classes,
                latency: percentiles(8.0 + f64::from(vus) * 0.4 + wobble(t, 11) * 6.0),
                vus,
                target_vus: vus,
                bytes_in: requests * 1200,
                bytes_out: requests * 180,
                host_mem_used: 6 * GIB,
                host_mem_total: 16 * GIB,
                target_rss: 300 * MIB,
                ..SecondRow::default()
            }
        })
        .collect();
    // Two chunks, as the aggregator shares closed chunks.
    let split = rows.len() / 2;
    Series {
        chunks: vec![Arc::from(&rows[..split]), Arc::from(&rows[split..])],
    }
}

fn healthy() -> Dashboard {
    let mut d = Dashboard::empty("checkout-flow", "http://127.0.0.1:8080");
    d.elapsed = Duration::from_secs(150);
    d.planned = Some(Duration::from_secs(360));
    d.stage = StageStatus {
        index: 2,
        count: 6,
        progress: 0.4,
        stage_target: 60,
        ..Default::default()
    };
    d.mode = RunMode::Ramping;
    d.vus_active = 48;
    d.vus_target = 50;
    d.series = series(150, 1000, 0.0);
    d.requests = 98_765;
    d.classes[OutcomeClass::Ok.index()] = 98_700;
    d.classes[OutcomeClass::S429.index()] = 65;
    d.bytes_in = 98_765 * 1200;
    d.bytes_out = 98_765 * 180;
    d.latency = percentiles(18.0);
    // The last 1, 5 and 15 minutes (the 15-minute window covers the whole run).
    d.window_latency = WindowLatency {
        run: d.latency,
        run_service: None,
        last: [percentiles(28.0), percentiles(22.0), percentiles(18.0)],
    };
    d.rps_now = 1012.0;
    d.rps_peak = 1040.0;
    d.error_classes = vec![ClassStat {
        class: OutcomeClass::S429,
        count: 65,
        per_sec: 0,
        share: 65.0 / 98_765.0,
        trend: (0..60).map(|t| u64::from(t % 17 == 3)).collect(),
        by_status: vec![(429, 65)],
        last_message: Some("429 Too Many Requests".into()),
    }];
    d.request_stats = vec![
        RequestStat {
            name: "home".into(),
            count: 60_000,
            errors: 0,
            rps: 610.0,
            latency: percentiles(12.0),
            threshold: Some(Verdict::Pass),
        },
        RequestStat {
            name: "search".into(),
            count: 30_000,
            errors: 65,
            rps: 300.0,
            latency: percentiles(28.0),
            threshold: Some(Verdict::Near),
        },
        RequestStat {
            name: "checkout".into(),
            count: 8_765,
            errors: 0,
            rps: 102.0,
            latency: percentiles(45.0),
            threshold: None,
        },
    ];
    d.thresholds = vec![
        ThresholdStatus {
            expr: "p95 < 100ms".into(),
            run: Verdict::Pass,
            run_value: 39.6,
            recent: Verdict::Pass,
            recent_value: 52.0,
        },
        ThresholdStatus {
            expr: "error_rate < 1%".into(),
            run: Verdict::Pass,
            run_value: 0.00066,
            recent: Verdict::Pass,
            recent_value: 0.0,
        },
        ThresholdStatus {
            expr: "search.p99 < 110ms".into(),
            run: Verdict::Near,
            run_value: 98.0,
            recent: Verdict::Near,
            recent_value: 104.0,
        },
    ];
    d.latency_limits_ms = vec![("p95".into(), 100.0)];
    d.memory = SystemStatus {
        host_total: 16 * GIB,
        host_used: 6 * GIB,
        host_available: 10 * GIB,
        swap_total: 2 * GIB,
        swap_used: 0,
        load_avg: [1.25, 0.9, 0.6],
        target_rss: Some(300 * MIB),
        target_cpu_pct: Some(45.0),
        self_rss: 96 * MIB,
        self_cpu_pct: 35.0,
        scheduler_lag_ms: 1.5,
        ..SystemStatus::default()
    };
    d.log = vec![
        log(0, LogKind::Stage, "stage 1/6: ramp to 10 VUs over 30s"),
        log(30, LogKind::Stage, "stage 2/6: ramp to 40 VUs over 1m"),
        log(71, LogKind::FirstError, "first 429: 429 Too Many Requests"),
        log(95, LogKind::Operator, "+10 VUs"),
        log(110, LogKind::Annotation, "note: cache warmed"),
        log(120, LogKind::Stage, "stage 3/6: ramp to 60 VUs over 1m"),
    ];
    d
}

fn log(at_s: u64, kind: LogKind, text: &str) -> LogEntry {
    LogEntry {
        at: Duration::from_secs(at_s),
        kind,
        text: text.into(),
    }
}

fn error_heavy() -> Dashboard {
    let mut d = healthy();
    d.mode = RunMode::Hold;
    d.elapsed = Duration::from_secs(240);
    d.series = series(240, 180, 0.35);
    d.requests = 180_000;
    d.classes = [0; OutcomeClass::COUNT];
    d.classes[OutcomeClass::Ok.index()] = 160_000;
    d.classes[OutcomeClass::S500.index()] = 9_000;
    d.classes[OutcomeClass::Timeout.index()] = 9_000;
    d.classes[OutcomeClass::Connect.index()] = 1_935;
    d.classes[OutcomeClass::S429.index()] = 65;
    let trend_from = |start: usize, per_sec: u64| -> Vec<u64> {
        (0..60)
            .map(|i| {
                if i >= start {
                    per_sec + (i as u64 % 5) * 10
                } else {
                    0
                }
            })
            .collect()
    };
    d.error_classes = vec![
        ClassStat {
            class: OutcomeClass::S500,
            count: 9_000,
            per_sec: 150,
            share: 0.05,
            trend: trend_from(0, 150),
            by_status: vec![(500, 9_000)],
            last_message: Some("500 Internal Server Error: db pool exhausted".into()),
        },
        ClassStat {
            class: OutcomeClass::Timeout,
            count: 9_000,
            per_sec: 140,
            share: 0.05,
            trend: trend_from(0, 140),
            by_status: vec![],
            last_message: Some("no response within 10s".into()),
        },
        ClassStat {
            class: OutcomeClass::Connect,
            count: 1_935,
            per_sec: 400,
            share: 0.011,
            trend: trend_from(55, 400),
            by_status: vec![],
            last_message: Some("connection refused (os error 111)".into()),
        },
        ClassStat {
            class: OutcomeClass::S429,
            count: 65,
            per_sec: 0,
            share: 0.0004,
            trend: vec![0; 60],
            by_status: vec![(429, 65)],
            last_message: Some("429 Too Many Requests".into()),
        },
    ];
    for t in &mut d.thresholds {
        t.run = Verdict::Fail;
        t.recent = Verdict::Fail;
    }
    d.thresholds[1].run_value = 0.11;
    d.thresholds[1].recent_value = 0.35;
    d.request_stats[0].threshold = Some(Verdict::Fail);
    d.request_stats[1].errors = 12_000;
    d.memory.host_used = 15 * GIB;
    d.memory.host_available = GIB;
    d.memory.self_cpu_pct = 195.0;
    d.memory.scheduler_lag_ms = 140.0;
    d.log.push(log(
        180,
        LogKind::FirstError,
        "first 500: db pool exhausted",
    ));
    d.log.push(log(
        185,
        LogKind::ThresholdBreach,
        "error_rate < 1% failed (11%)",
    ));
    d.log.push(log(200, LogKind::Operator, "hold"));
    d.log.push(log(
        215,
        LogKind::Alert,
        "connect errors: target refusing connections",
    ));
    d
}

fn app(d: Dashboard, theme: Theme, size: (u16, u16)) -> App {
    let mut app = App::new(Arc::new(d), theme, 2);
    app.update(
        Msg::Resize {
            width: size.0,
            height: size.1,
        },
        std::time::Instant::now(),
    );
    app
}

fn render(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view(app, f)).unwrap();
    terminal
}

#[test]
fn healthy_ramping_80x24() {
    let t = render(&app(healthy(), Theme::colored(), (80, 24)), 80, 24);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn healthy_ramping_160x48() {
    let t = render(&app(healthy(), Theme::colored(), (160, 48)), 160, 48);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn error_heavy_80x24() {
    let t = render(&app(error_heavy(), Theme::colored(), (80, 24)), 80, 24);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn error_heavy_160x48_log_scale_whole_run() {
    let mut a = app(error_heavy(), Theme::colored(), (160, 48));
    let now = std::time::Instant::now();
    a.update(Msg::Key(KeyAction::LogScale), now);
    a.update(Msg::Key(KeyAction::Window(TimeWindow::All)), now);
    let t = render(&a, 160, 48);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn help_overlay_80x24() {
    let mut a = app(healthy(), Theme::colored(), (80, 24));
    a.update(Msg::Key(KeyAction::Help), std::time::Instant::now());
    let t = render(&a, 80, 24);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn zoomed_requests_80x24() {
    let mut a = app(healthy(), Theme::colored(), (80, 24));
    let now = std::time::Instant::now();
    while a.zoom != Some(Pane::Requests) {
        a.update(Msg::Key(KeyAction::ZoomNext), now);
    }
    let t = render(&a, 80, 24);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn annotation_prompt_and_done_footer_80x24() {
    let mut d = healthy();
    d.mode = RunMode::Done;
    let a = app(d, Theme::colored(), (80, 24));
    let t = render(&a, 80, 24);
    let screen = t.backend().to_string();
    assert!(screen.contains("run finished — q to quit"), "{screen}");
    assert!(screen.contains(" DONE "), "{screen}");

    let mut a = app(healthy(), Theme::colored(), (80, 24));
    let now = std::time::Instant::now();
    a.update(Msg::Key(KeyAction::Annotate), now);
    for c in "deploy 2".chars() {
        a.update(Msg::Prompt(loadpilot::ui::msg::PromptEdit::Insert(c)), now);
    }
    let screen = render(&a, 80, 24).backend().to_string();
    assert!(screen.contains("note: deploy 2"), "{screen}");
}

#[test]
fn too_small() {
    let t = render(&app(healthy(), Theme::colored(), (50, 12)), 50, 12);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn empty_frame_before_data_80x24() {
    let d = Dashboard::empty("demo", "http://127.0.0.1:8080");
    let t = render(&app(d, Theme::colored(), (80, 24)), 80, 24);
    insta::assert_snapshot!(t.backend());
}

/// Under NO_COLOR no cell carries a colour: only modifiers (bold, dim, reversed…).
#[test]
fn no_color_uses_no_colours() {
    for (d, w, h) in [(healthy(), 80, 24), (error_heavy(), 160, 48)] {
        let t = render(&app(d, Theme::plain(), (w, h)), w, h);
        for cell in t.backend().buffer().content() {
            assert_eq!(cell.fg, Color::Reset, "{cell:?}");
            assert_eq!(cell.bg, Color::Reset, "{cell:?}");
        }
    }
}

/// Text is never hard white or black, so it reads on light and dark backgrounds.
#[test]
fn colours_avoid_hard_white_and_black() {
    let t = render(&app(error_heavy(), Theme::colored(), (160, 48)), 160, 48);
    for cell in t.backend().buffer().content() {
        for c in [cell.fg, cell.bg] {
            assert!(
                !matches!(c, Color::White | Color::Black | Color::Rgb(..)),
                "{cell:?}"
            );
        }
        assert_eq!(cell.bg, Color::Reset, "{cell:?}");
    }
}

/// Resizing redraws into the new size (the layout is a function of the size).
#[test]
fn resizes_live() {
    let a = app(healthy(), Theme::colored(), (80, 24));
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| view(&a, f)).unwrap();
    terminal.backend_mut().resize(160, 48);
    terminal.autoresize().unwrap();
    terminal.draw(|f| view(&a, f)).unwrap();
    let screen = terminal.backend().to_string();
    assert!(screen.contains("Requests"), "{screen}");
    terminal.backend_mut().resize(40, 10);
    terminal.autoresize().unwrap();
    terminal.draw(|f| view(&a, f)).unwrap();
    assert!(
        terminal
            .backend()
            .to_string()
            .contains("terminal too small")
    );
}

// ---------------------------------------------------------------------------
// Saved runs: the viewer (`loadpilot open`), the baseline overlay, the compare view.

use loadpilot::metrics::aggregator::RunRecord;
use loadpilot::metrics::scope::ScopeStats;
use loadpilot::ui::baseline::Baseline;
use loadpilot::ui::compare_view::{self, CompareView};
use loadpilot::ui::replay::Replay;

/// A whole-run scope whose latencies spread around `base_ms`.
fn scope(requests: u64, errors: u64, base_ms: f64) -> ScopeStats {
    let mut s = ScopeStats::default();
    for i in 0..200u64 {
        let ms = base_ms * (0.5 + (i as f64 / 200.0).powi(3) * 4.0);
        s.hist.record((ms * 1000.0) as u64).unwrap();
    }
    s.classes[OutcomeClass::Ok.index()] = requests - errors;
    s.classes[OutcomeClass::S500.index()] = errors;
    s
}

/// A deterministic saved run of `seconds` seconds; `slower` scales latency.
fn saved_run(seconds: u32, slower: f64) -> RunRecord {
    let rows: Vec<SecondRow> = series(seconds, 100, 0.05)
        .iter()
        .map(|r| {
            let mut r = *r;
            let scale = |us: u64| (us as f64 * slower) as u64;
            r.latency = Percentiles {
                p50_us: scale(r.latency.p50_us),
                p90_us: scale(r.latency.p90_us),
                p95_us: scale(r.latency.p95_us),
                p99_us: scale(r.latency.p99_us),
                max_us: scale(r.latency.max_us),
            };
            r
        })
        .collect();
    let requests: u64 = rows.iter().map(|r| r.requests).sum();
    let errors: u64 = rows.iter().map(|r| r.errors()).sum();
    let mut by_status = vec![Vec::new(); OutcomeClass::COUNT];
    by_status[OutcomeClass::S500.index()] = vec![(500, errors / 2)];
    let mut last_message = vec![None; OutcomeClass::COUNT];
    last_message[OutcomeClass::S500.index()] = Some("500 Internal Server Error".into());
    last_message[OutcomeClass::Timeout.index()] = Some("no response within 10s".into());
    RunRecord {
        duration: Duration::from_secs(u64::from(seconds)),
        request_names: vec!["home".into(), "search".into()],
        overall: scope(requests, errors, 10.0 * slower),
        per_request: vec![
            scope(requests * 2 / 3, 0, 8.0 * slower),
            scope(requests / 3, errors, 20.0 * slower),
        ],
        by_status,
        last_message,
        series: rows,
        log: vec![
            log(0, LogKind::Stage, "stage 1/2: ramp to 50 VUs over 2m"),
            log(45, LogKind::Operator, "+10 VUs (VUs 15 → 25)"),
            log(
                100,
                LogKind::FirstError,
                "first 500: 500 Internal Server Error",
            ),
            log(120, LogKind::Stage, "stage 2/2: hold 50 VUs for 1m"),
            log(150, LogKind::Annotation, "note: cache flushed"),
        ],
        thresholds: vec![
            loadpilot::threshold::parse_threshold("p95 < 100ms").unwrap(),
            loadpilot::threshold::parse_threshold("error_rate < 1%").unwrap(),
        ],
        ..RunRecord::empty("checkout-flow", "http://127.0.0.1:8080")
    }
}

/// The viewer over a 180 s run, its cursor moved to 01:30 with the keys.
fn viewer_mid_run(size: (u16, u16)) -> App {
    let replay = Arc::new(Replay::from_record(&saved_run(180, 1.0)));
    let mut a = App::viewer(replay, Theme::colored(), 2);
    let now = std::time::Instant::now();
    a.update(
        Msg::Resize {
            width: size.0,
            height: size.1,
        },
        now,
    );
    a.update(Msg::Key(KeyAction::CursorStart), now);
    for _ in 0..9 {
        a.update(Msg::Key(KeyAction::CursorForward10), now);
    }
    a
}

#[test]
fn viewer_cursor_mid_run_80x24() {
    let a = viewer_mid_run((80, 24));
    let t = render(&a, 80, 24);
    let screen = t.backend().to_string();
    assert!(screen.contains("at 01:30 / 03:00"), "{screen}");
    assert!(screen.contains(" VIEW "), "{screen}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn viewer_cursor_mid_run_160x48() {
    let a = viewer_mid_run((160, 48));
    let t = render(&a, 160, 48);
    let screen = t.backend().to_string();
    // Events after the cursor (01:30) are not shown yet.
    assert!(screen.contains("+10 VUs (VUs 15 → 25)"), "{screen}");
    assert!(!screen.contains("first 500"), "{screen}");
    assert!(!screen.contains("cache flushed"), "{screen}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn viewer_moves_the_shown_time_and_refuses_steering() {
    let mut a = viewer_mid_run((80, 24));
    let now = std::time::Instant::now();
    a.update(Msg::Key(KeyAction::CursorBack), now);
    let screen = render(&a, 80, 24).backend().to_string();
    assert!(screen.contains("at 01:29 / 03:00"), "{screen}");
    a.update(Msg::Key(KeyAction::VusUp10), now);
    let screen = render(&a, 80, 24).backend().to_string();
    assert!(
        screen.contains("read-only: this is a saved run"),
        "{screen}"
    );
    a.update(Msg::Key(KeyAction::Help), now);
    let screen = render(&a, 80, 24).backend().to_string();
    assert!(screen.contains("cursor 1 s back"), "{screen}");
    assert!(!screen.contains("+10 VUs"), "{screen}");
}

/// The live dashboard with a baseline 30% slower behind it.
fn with_baseline(size: (u16, u16)) -> App {
    let baseline = Baseline::from_record(&saved_run(300, 1.3), "before.json");
    let mut a = app(healthy(), Theme::colored(), size).with_baseline(Some(Arc::new(baseline)));
    a.window = TimeWindow::All;
    a
}

#[test]
fn baseline_overlay_and_deltas_160x48() {
    let a = with_baseline((160, 48));
    let t = render(&a, 160, 48);
    let screen = t.backend().to_string();
    assert!(screen.contains("vs before.json @02:29"), "{screen}");
    assert!(screen.contains("Δp95 −"), "{screen}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn baseline_overlay_and_deltas_80x24() {
    let a = with_baseline((80, 24));
    let t = render(&a, 80, 24);
    insta::assert_snapshot!(t.backend());
}

const COMPARE_TABLE: &str = "\
scope      metric   before    after     change    verdict
overall    rps      812       798       -1.7%     within noise
overall    p50      10.4ms    13.5ms    +30%      worse
overall    p95      22.9ms    29.8ms    +30%      worse
overall    p99      36.4ms    47.3ms    +30%      worse
overall    errors   1.4%      1.4%      +0.0pt    within noise
home       p95      17.6ms    22.9ms    +30%      worse
search     p95      44.0ms    57.2ms    +30%      worse
";

#[test]
fn compare_view_120x36() {
    let before = saved_run(180, 1.0);
    let after = saved_run(150, 1.3);
    let cv = CompareView::new(&before, &after, COMPARE_TABLE, Theme::colored());
    let mut terminal = Terminal::new(TestBackend::new(120, 36)).unwrap();
    terminal.draw(|f| compare_view::view(&cv, f)).unwrap();
    let screen = terminal.backend().to_string();
    assert!(screen.contains("overall    p95      22.9ms"), "{screen}");
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn a_threshold_without_data_shows_a_no_data_badge() {
    let mut d = healthy();
    d.thresholds[2].run = Verdict::NoData;
    d.thresholds[2].recent = Verdict::NoData;
    let t = render(&app(d, Theme::colored(), (160, 48)), 160, 48);
    let screen = t.backend().to_string();
    let line = screen
        .lines()
        .find(|l| l.contains("search.p99 < 110ms"))
        .unwrap_or_else(|| panic!("no threshold line:\n{screen}"));
    assert!(line.contains("no data"), "{line}");
    // No made-up value beside it.
    assert!(!line.contains("98.0"), "{line}");
}

/// One judged find-limit step, as the search's JSON has it.
fn step(
    n: usize,
    load: u32,
    rps: f64,
    p95_ms: f64,
    failed: Option<&str>,
) -> loadpilot::finder::StepResult {
    serde_json::from_value(serde_json::json!({
        "step": n, "load": load, "from_s": 0.0, "to_s": 0.0, "requests": 0,
        "rps": rps, "p50_ms": p95_ms / 2.0, "p95_ms": p95_ms, "p99_ms": p95_ms * 1.5,
        "error_rate": if failed.is_some() { 0.08 } else { 0.0 },
        "dropped": if failed.is_some() { 12 } else { 0 },
        "readings": [],
        "failed": failed.map(|f| (f, 0.08)),
    }))
    .unwrap()
}

/// find-limit's steps pane in place of the requests pane: three steps judged
/// (the third failed) and the refine step running, marked and filled from the
/// last second. A narrow pane keeps step, load, rps, p95, errors and verdict.
fn steps_pane(width: u16, height: u16) -> Terminal<TestBackend> {
    use loadpilot::finder::SearchProgress;
    use loadpilot::plan::LoadModel;
    let mut a = app(healthy(), Theme::colored(), (width, height));
    let progress = SearchProgress {
        model: LoadModel::Rate,
        steps: vec![
            step(1, 60, 59.8, 21.0, None),
            step(2, 120, 119.5, 23.4, None),
            step(3, 180, 171.0, 940.0, Some("error_rate > 5%")),
        ],
        current: Some((4, 150)),
    };
    a.update(Msg::Search(Arc::new(progress)), std::time::Instant::now());
    let t = render(&a, width, height);
    let screen = format!("{:?}", t.backend());
    assert!(
        screen.contains("╭ Steps") && !screen.contains("╭ Requests"),
        "{screen}"
    );
    assert!(
        screen.contains("▶ 4") && screen.contains("150/s") && screen.contains("✗ error_rate >"),
        "{screen}"
    );
    t
}

#[test]
fn find_limit_steps_pane_120x36() {
    insta::assert_snapshot!(steps_pane(120, 36).backend());
}

#[test]
fn find_limit_steps_pane_160x48() {
    let t = steps_pane(160, 48);
    assert!(format!("{:?}", t.backend()).contains("p50"));
    insta::assert_snapshot!(t.backend());
}
