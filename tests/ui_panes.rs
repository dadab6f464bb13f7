//! The journeys (`f`) and stages (`g`) panes, and the dashboard at 80×24: renders
//! into ratatui's `TestBackend`, snapshotted with insta. The panes' rows come from
//! a run record folded through the real journey statistics and built by
//! `RunTables` (the end-of-run summary's own functions), not from hand-set rows.

use std::sync::Arc;
use std::time::{Duration, Instant};

use loadpilot::metrics::aggregator::RunRecord;
use loadpilot::metrics::dashboard::{
    Dashboard, LogEntry, LogKind, Percentiles, RequestStat, RunMode, SecondRow, Series, StageStatus,
};
use loadpilot::metrics::journey::{FlowSample, JourneyConfig, JourneyCounts, JourneyStats};
use loadpilot::metrics::run_tables::RunTables;
use loadpilot::metrics::sample::Sample;
use loadpilot::metrics::scope::ScopeStats;
use loadpilot::outcome::OutcomeClass;
use loadpilot::plan::Stage;
use loadpilot::ui::keymap::KeyAction;
use loadpilot::ui::msg::Msg;
use loadpilot::ui::replay::Replay;
use loadpilot::ui::state::App;
use loadpilot::ui::theme::Theme;
use loadpilot::ui::view::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// A scope with `requests` samples spread from `base_ms` up, `errors` of them 500s.
fn scope(requests: u32, errors: u32, base_ms: f64) -> ScopeStats {
    let mut s = ScopeStats::default();
    for i in 0..requests {
        let ms = base_ms * (1.0 + f64::from(i % 100) / 25.0);
        s.add(&Sample {
            latency_us: (ms * 1000.0) as u32,
            schedule_delay_us: None,
            request: 0,
            status: if i < errors { 500 } else { 200 },
            class: if i < errors {
                OutcomeClass::S500
            } else {
                OutcomeClass::Ok
            },
        });
    }
    s
}

/// Journey statistics folded from VU counts: two flows, checks with one
/// failing, a custom metric, a persona.
fn journey() -> JourneyStats {
    let mut stats = JourneyStats::new(JourneyConfig {
        flows: vec!["checkout".into(), "browse".into()],
        metrics: vec!["cache_hit".into()],
        checks: vec![
            "cart: status in [200]".into(),
            "pay: body_contains \"ok\"".into(),
        ],
        personas: vec![("shopper".into(), 3, vec![0, 1])],
    });
    let mut counts = JourneyCounts::default();
    for i in 0..200u32 {
        counts.flows.push(FlowSample {
            flow: (i % 2) as u16,
            latency_us: 200_000 + (i % 50) * 20_000,
            class: if i % 25 == 0 {
                OutcomeClass::Check
            } else {
                OutcomeClass::Ok
            },
        });
        counts.checks(2, std::iter::once(1).filter(|_| i % 25 == 0));
        counts.rate(0, i % 5 != 0);
    }
    stats.fold(&counts);
    stats
}

fn second(t_s: u32, requests: u64, errors: u64, p95_ms: u64) -> SecondRow {
    let mut classes = [0; OutcomeClass::COUNT];
    classes[OutcomeClass::Ok.index()] = requests - errors;
    classes[OutcomeClass::S500.index()] = errors;
    SecondRow {
        t_s,
        requests,
        classes,
        latency: Percentiles {
            p50_us: p95_ms * 400,
            p90_us: p95_ms * 900,
            p95_us: p95_ms * 1000,
            p99_us: p95_ms * 1500,
            max_us: p95_ms * 2000,
        },
        vus: 10,
        target_vus: 10,
        ..SecondRow::default()
    }
}

/// A 40 s run through warm-up → peak → stress → recovery: the stress stage
/// is slow and failing, and the target is healthy again 3 s into recovery.
fn record() -> RunRecord {
    let series: Vec<SecondRow> = (0..40)
        .map(|t| match t {
            0..20 => second(t, 100, 0, 40),
            20..30 => second(t, 300, 60, 900),
            30..33 => second(t, 100, 20, 700),
            _ => second(t, 100, 0, 45),
        })
        .collect();
    let mut stress = scope(3000, 600, 300.0);
    stress.add_arrivals(3100, &[100, 0]);
    RunRecord {
        duration: Duration::from_secs(40),
        request_names: vec!["cart".into(), "pay".into()],
        per_request: vec![scope(500, 0, 20.0), scope(300, 30, 60.0)],
        per_stage: vec![
            scope(1000, 0, 15.0),
            scope(1000, 0, 20.0),
            stress,
            scope(1000, 20, 18.0),
        ],
        stage_starts: [0, 10, 20, 30].map(Duration::from_secs).to_vec(),
        stage_names: ["warm-up", "peak", "stress", "recovery"]
            .map(|n| Some(n.to_string()))
            .to_vec(),
        stages: [(10, 5), (10, 10), (10, 30), (10, 5)]
            .map(|(secs, target)| Stage {
                duration: Duration::from_secs(secs),
                target,
            })
            .to_vec(),
        series,
        journey: journey(),
        ..RunRecord::empty("shop", "http://127.0.0.1:8080")
    }
}

/// A live frame in the recovery stage, with the record's panes' rows.
fn live_frame() -> Dashboard {
    let rec = record();
    let mut d = Dashboard::empty("shop", "http://127.0.0.1:8080");
    d.elapsed = Duration::from_secs(40);
    d.planned = Some(Duration::from_secs(60));
    d.mode = RunMode::Ramping;
    d.stage = StageStatus {
        index: 3,
        count: 4,
        number: 4,
        timed: 4,
        stage_target: 5,
        progress: 0.9,
        ..Default::default()
    };
    d.vus_active = 5;
    d.vus_target = 5;
    let split = rec.series.len() / 2;
    d.series = Series {
        chunks: vec![
            Arc::from(&rec.series[..split]),
            Arc::from(&rec.series[split..]),
        ],
    };
    d.tables = Arc::new(RunTables::of_record(&rec));
    // The chart's title reads the run's latency (the run fits the window).
    d.latency = rec.series.last().map(|r| r.latency).unwrap_or_default();
    d.window_latency = loadpilot::metrics::dashboard::WindowLatency {
        run: d.latency,
        run_service: None,
        last: [d.latency; 3],
    };
    d
}

fn live(d: Dashboard, size: (u16, u16), keys: &[KeyAction]) -> App {
    let mut app = App::new(Arc::new(d), Theme::plain(), 2);
    let now = Instant::now();
    app.update(
        Msg::Resize {
            width: size.0,
            height: size.1,
        },
        now,
    );
    for key in keys {
        app.update(Msg::Key(*key), now);
    }
    app
}

fn screen(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view(app, f)).unwrap();
    terminal
}

fn text(t: &Terminal<TestBackend>) -> String {
    let buffer = t.backend().buffer();
    let width = usize::from(buffer.area.width);
    buffer
        .content
        .chunks(width)
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn journeys_pane_160x48() {
    let app = live(live_frame(), (160, 48), &[KeyAction::ToggleJourneys]);
    let t = screen(&app, 160, 48);
    let shown = text(&t);
    // Figures from the folded statistics: checks 392 of 400 passed; the
    // custom metric hit 160 of 200.
    assert!(shown.contains("Journeys checks 98% ✓"), "{shown}");
    assert!(shown.contains("cache_hit"), "{shown}");
    assert!(shown.contains("80%"), "{shown}");
    assert!(shown.contains("✗ pay: body_contains \"ok\""), "{shown}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn journeys_pane_80x24() {
    let app = live(live_frame(), (80, 24), &[KeyAction::ToggleJourneys]);
    let t = screen(&app, 80, 24);
    let shown = text(&t);
    assert!(shown.contains("checkout"), "{shown}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn stages_pane_with_recovery_160x48() {
    let app = live(live_frame(), (160, 48), &[KeyAction::ToggleStages]);
    let t = screen(&app, 160, 48);
    let shown = text(&t);
    for name in ["warm-up", "peak", "stress", "▶ recovery"] {
        assert!(shown.contains(name), "{name}: {shown}");
    }
    // p95 and error rate back (within 10% of `peak`) at 00:33, 3 s after the drop.
    assert!(
        shown.contains("recovery into recovery @00:30: 3.0s"),
        "{shown}"
    );
    insta::assert_snapshot!(t.backend());
}

#[test]
fn stages_pane_80x24() {
    let app = live(live_frame(), (80, 24), &[KeyAction::ToggleStages]);
    let t = screen(&app, 80, 24);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn the_same_key_goes_back_to_the_requests() {
    let keys = [KeyAction::ToggleStages, KeyAction::ToggleStages];
    let mut d = live_frame();
    d.request_stats = vec![RequestStat {
        name: "cart".into(),
        count: 500,
        errors: 0,
        rps: 12.0,
        latency: Percentiles::default(),
        threshold: None,
    }];
    let shown = text(&screen(&live(d, (80, 24), &keys), 80, 24));
    assert!(shown.contains("Requests"), "{shown}");
    assert!(!shown.contains("Stages"), "{shown}");
}

#[test]
fn the_viewer_shows_both_panes_over_the_whole_run() {
    let replay = Arc::new(Replay::from_record(&record()));
    let mut app = App::viewer(replay, Theme::plain(), 2);
    let now = Instant::now();
    app.update(
        Msg::Resize {
            width: 120,
            height: 36,
        },
        now,
    );
    app.update(Msg::Key(KeyAction::ToggleJourneys), now);
    let shown = text(&screen(&app, 120, 36));
    assert!(shown.contains("Journeys checks 98% ✓ whole run"), "{shown}");
    app.update(Msg::Key(KeyAction::ToggleStages), now);
    let shown = text(&screen(&app, 120, 36));
    assert!(shown.contains("Stages whole run"), "{shown}");
    // A saved run has no stage running: nothing is marked.
    assert!(!shown.contains("▶"), "{shown}");
    assert!(
        shown.contains("recovery into recovery @00:30: 3.0s"),
        "{shown}"
    );
}

// ---------------------------------------------------------------------------
// 80×24: requests before memory, short event lines, the most-used keys.

fn log(at_s: u64, kind: LogKind, text: &str) -> LogEntry {
    LogEntry {
        at: Duration::from_secs(at_s),
        kind,
        text: text.into(),
    }
}

#[test]
fn small_terminal_keeps_requests_abbreviates_events_and_keeps_main_keys() {
    let mut d = live_frame();
    d.request_stats = vec![RequestStat {
        name: "cart".into(),
        count: 500,
        errors: 5,
        rps: 12.0,
        latency: Percentiles {
            p50_us: 12_000,
            p90_us: 20_000,
            p95_us: 26_400,
            p99_us: 42_000,
            max_us: 50_000,
        },
        threshold: None,
    }];
    d.log = vec![
        log(
            21,
            LogKind::ThresholdBreach,
            "threshold error_rate < 1% failed (now 11.2%)",
        ),
        log(
            22,
            LogKind::FirstError,
            "first timeout error: slow: no complete response within 5s",
        ),
        log(30, LogKind::Stage, "stage 4/4: to 5 VUs over 10s"),
        log(
            31,
            LogKind::Alert,
            "graceful stop of 5s ran out: dropping 3 in-flight requests",
        ),
    ];
    let t = screen(&live(d, (80, 24), &[]), 80, 24);
    let shown = text(&t);
    assert!(shown.contains("╭ Requests"), "{shown}");
    assert!(!shown.contains("╭ Memory"), "{shown}");
    // Figures are whole: the narrow table drops columns, never digits.
    assert!(
        shown.contains("26.4ms") && shown.contains("42.0ms"),
        "{shown}"
    );
    // The time stays; the message is said shorter.
    assert!(shown.contains("00:21 error_rate < 1% ✗ (11.2%)"), "{shown}");
    assert!(
        shown.contains("00:22 1st timeout: slow: no response…"),
        "{shown}"
    );
    // Every line of a narrow pane alike, even one that would fit.
    assert!(shown.contains("00:30 stage 4/4 → 5 VUs in 10s"), "{shown}");
    let footer = shown.lines().last().unwrap().trim_end().to_string();
    for keys in ["q quit", "? help", "↑↓ ±1", "+- ±10", "p pause"] {
        assert!(footer.contains(keys), "{keys} missing: {footer}");
    }
    // Dropped groups go whole: the footer ends with a group's label.
    assert!(
        ["zoom", "skip", "resume", "hold"]
            .iter()
            .any(|label| footer.ends_with(label)),
        "{footer}"
    );
    insta::assert_snapshot!(t.backend());
}
