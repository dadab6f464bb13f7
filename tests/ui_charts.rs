//! The latency and throughput charts say what they mean (issue 13, items 2–4):
//! the latency title's figures cover the range the chart shows and name it; a
//! threshold far above the data is named at the top edge instead of squashing
//! the curves; a long tail switches to a log scale by itself (`l` still wins);
//! a run shorter than the window fills the chart. Rendered into ratatui's
//! `TestBackend` from fixed data and snapshotted with insta.

use std::sync::Arc;
use std::time::{Duration, Instant};

use loadpilot::metrics::aggregator::RunRecord;
use loadpilot::metrics::dashboard::{Dashboard, Percentiles, SecondRow, Series, WindowLatency};
use loadpilot::metrics::hist_codec;
use loadpilot::metrics::scope::{ScopeStats, new_histogram};
use loadpilot::outcome::OutcomeClass;
use loadpilot::ui::keymap::KeyAction;
use loadpilot::ui::layout::Pane;
use loadpilot::ui::msg::{Msg, TimeWindow};
use loadpilot::ui::replay::Replay;
use loadpilot::ui::state::App;
use loadpilot::ui::theme::Theme;
use loadpilot::ui::view::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const W: u16 = 100;
const H: u16 = 30;

fn ms(v: f64) -> u64 {
    (v * 1000.0) as u64
}

/// Percentiles with the median at `p50_ms` and the tail `tail` times above it.
fn spread(p50_ms: f64, tail: f64) -> Percentiles {
    Percentiles {
        p50_us: ms(p50_ms),
        p90_us: ms(p50_ms * (1.0 + (tail - 1.0) * 0.3)),
        p95_us: ms(p50_ms * (1.0 + (tail - 1.0) * 0.5)),
        p99_us: ms(p50_ms * tail),
        max_us: ms(p50_ms * tail * 1.2),
    }
}

/// `seconds` rows whose latency runs 20–60 ms in a slow wave (tail `tail`×).
fn dashboard(seconds: u32, planned_s: Option<u64>, tail: f64) -> Dashboard {
    let rows: Vec<SecondRow> = (0..seconds)
        .map(|t| {
            let wave = f64::from(t % 40) / 40.0;
            let mut classes = [0; OutcomeClass::COUNT];
            classes[OutcomeClass::Ok.index()] = 500 + u64::from(t % 9) * 20;
            SecondRow {
                t_s: t,
                requests: classes[0],
                classes,
                latency: spread(20.0 + 13.0 * wave, tail.min(60.0 / (20.0 + 13.0 * wave))),
                vus: 10,
                target_vus: 10,
                ..SecondRow::default()
            }
        })
        .collect();
    let mut d = Dashboard::empty("charts", "http://127.0.0.1:8080");
    d.elapsed = Duration::from_secs(u64::from(seconds));
    d.planned = planned_s.map(Duration::from_secs);
    d.series = Series {
        chunks: vec![Arc::from(rows)],
    };
    d.latency = spread(25.0, tail);
    d.window_latency = WindowLatency {
        run: d.latency,
        run_service: None,
        last: [spread(26.0, tail), spread(25.5, tail), d.latency],
    };
    d.requests = 1000;
    d.classes[OutcomeClass::Ok.index()] = 1000;
    d
}

fn app(d: Dashboard, zoom: Option<Pane>) -> App {
    let mut a = App::new(Arc::new(d), Theme::colored(), 2);
    a.update(
        Msg::Resize {
            width: W,
            height: H,
        },
        Instant::now(),
    );
    if let Some(pane) = zoom {
        while a.zoom != Some(pane) {
            a.update(Msg::Key(KeyAction::ZoomNext), Instant::now());
        }
    }
    a
}

fn render(app: &App) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(W, H)).unwrap();
    terminal.draw(|f| view(app, f)).unwrap();
    terminal
}

fn is_braille(s: &str) -> bool {
    s.chars().any(|c| ('\u{2801}'..='\u{28FF}').contains(&c))
}

/// Rows and columns of the screen that hold a braille (curve) dot.
fn curve_cells(t: &Terminal<TestBackend>) -> (usize, u16) {
    let buf = t.backend().buffer();
    let mut rows = 0;
    let mut right = 0;
    for y in 0..H {
        let mut any = false;
        for x in 0..W {
            if is_braille(buf[(x, y)].symbol()) {
                any = true;
                right = right.max(x);
            }
        }
        rows += usize::from(any);
    }
    (rows, right)
}

#[test]
fn a_threshold_far_above_the_data_is_named_at_the_top_edge() {
    let mut d = dashboard(200, Some(600), 1.5);
    d.latency_limits_ms = vec![("p95 < 2s".into(), 2000.0)];
    let t = render(&app(d, Some(Pane::Latency)));
    let screen = t.backend().to_string();
    assert!(screen.contains("▲ p95<2s"), "{screen}");
    // The curves use the pane's height: the axis fits 20–60 ms, not 0–2 s.
    let (rows, _) = curve_cells(&t);
    assert!(
        rows >= 8,
        "the curves are squashed into {rows} rows:\n{screen}"
    );
    assert!(!screen.contains("2.20s"), "{screen}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn a_threshold_inside_the_data_range_stays_a_line() {
    let mut d = dashboard(200, Some(600), 1.5);
    d.latency_limits_ms = vec![("p95 < 40ms".into(), 40.0)];
    let screen = render(&app(d, Some(Pane::Latency))).backend().to_string();
    assert!(!screen.contains("▲"), "{screen}");
}

#[test]
fn a_long_tail_switches_to_log_by_itself_and_l_wins() {
    // p99 30× p50 over the window: log by itself.
    let mut a = app(dashboard(200, Some(600), 30.0), None);
    assert!(a.log_scale());
    let title = |a: &App| {
        let screen = render(a).backend().to_string();
        screen.lines().nth(2).unwrap_or_default().to_string()
    };
    assert!(title(&a).contains("last 5m log "), "{}", title(&a));
    // `l` turns it off, and it stays off while the tail stays long.
    a.update(Msg::Key(KeyAction::LogScale), Instant::now());
    assert!(!a.log_scale());
    assert!(!title(&a).contains(" log "), "{}", title(&a));
    a.update(
        Msg::Frame(Arc::new(dashboard(201, Some(600), 30.0))),
        Instant::now(),
    );
    assert!(
        !a.log_scale(),
        "the explicit choice wins over the automatic one"
    );
    // A short tail stays linear.
    let a = app(dashboard(200, Some(600), 2.0), None);
    assert!(!a.log_scale());
    assert!(!title(&a).contains(" log "), "{}", title(&a));
}

#[test]
fn a_two_minute_plan_fills_the_chart() {
    // 30 s into a 2-minute plan in the default 5-minute window: the axis ends at
    // the plan's end, not five minutes out.
    for pane in [Pane::Latency, Pane::Throughput] {
        let t = render(&app(dashboard(30, Some(120), 1.5), Some(pane)));
        let screen = t.backend().to_string();
        assert!(screen.contains("02:00"), "{screen}");
        assert!(!screen.contains("05:00"), "{screen}");
        // Near its end the run reaches across most of the width.
        let t = render(&app(dashboard(115, Some(120), 1.5), Some(pane)));
        let (_, right) = curve_cells(&t);
        assert!(
            right > W * 8 / 10,
            "{pane:?}: curves end at column {right} of {W}:\n{}",
            t.backend()
        );
    }
    let t = render(&app(dashboard(30, Some(120), 1.5), None));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn an_open_ended_run_fills_the_chart_until_it_outgrows_the_window() {
    let t = render(&app(dashboard(45, None, 1.5), Some(Pane::Latency)));
    let (_, right) = curve_cells(&t);
    assert!(
        right > W * 8 / 10,
        "curves end at {right}:\n{}",
        t.backend()
    );
    let screen = t.backend().to_string();
    assert!(
        screen.contains("00:45") && screen.contains("Latency run "),
        "{screen}"
    );
}

/// A saved 400 s run: fast (6–8 ms) throughout, except its last second, where
/// only 2 s timeouts finished (the demo's `q` case of issue 13).
fn saved_run() -> RunRecord {
    let mut overall = ScopeStats::default();
    let mut series = Vec::new();
    let mut second_histograms = Vec::new();
    for t in 0..400u32 {
        let mut h = new_histogram();
        if t == 399 {
            h.record_n(2_000_000, 5).unwrap();
        } else {
            for i in 0..100u64 {
                h.record(6_000 + i * 20 + u64::from(t >= 340) * 30_000)
                    .unwrap();
            }
        }
        overall.hist.add(&h).unwrap();
        let mut classes = [0; OutcomeClass::COUNT];
        classes[OutcomeClass::Ok.index()] = h.len();
        series.push(SecondRow {
            t_s: t,
            requests: h.len(),
            classes,
            latency: loadpilot::metrics::scope::percentiles(&h),
            ..SecondRow::default()
        });
        second_histograms.push(hist_codec::encode(&h));
    }
    overall.classes[OutcomeClass::Ok.index()] = overall.hist.len();
    RunRecord {
        duration: Duration::from_secs(400),
        overall,
        series,
        second_histograms,
        ..RunRecord::empty("saved", "http://127.0.0.1:8080")
    }
}

fn title_line(a: &App) -> String {
    render(a)
        .backend()
        .to_string()
        .lines()
        .nth(2)
        .unwrap_or_default()
        .to_string()
}

#[test]
fn open_first_shows_the_whole_run_then_the_window_at_the_cursor() {
    let mut a = App::viewer(
        Arc::new(Replay::from_record(&saved_run())),
        Theme::colored(),
        2,
    );
    a.update(
        Msg::Resize {
            width: W,
            height: H,
        },
        Instant::now(),
    );
    // The whole run: p50 about 7 ms, not the last second's 2 s.
    let title = title_line(&a);
    assert!(
        title.contains("Latency run p50 7.") || title.contains("Latency run p50 6."),
        "{title}"
    );
    assert!(!title.contains("p50 2.00s"), "{title}");
    // The last minute, merged from the saved seconds' histograms: 36–38 ms.
    a.update(Msg::Key(KeyAction::Window(TimeWindow::M1)), Instant::now());
    let title = title_line(&a);
    assert!(title.contains("Latency last 1m p50 3"), "{title}");
    // The cursor moved back before the slow minute: the window follows it.
    a.update(Msg::Key(KeyAction::CursorStart), Instant::now());
    for _ in 0..20 {
        a.update(Msg::Key(KeyAction::CursorForward10), Instant::now());
    }
    let title = title_line(&a);
    assert!(
        title.contains("Latency last 1m p50 7.") || title.contains("Latency last 1m p50 6."),
        "{title}"
    );
}
