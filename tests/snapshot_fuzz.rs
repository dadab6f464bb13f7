//! The snapshot loader treats a file as untrusted: the shipped fixtures, mutated
//! many times with a fixed seed (numbers made huge, negative or fractional,
//! fields deleted or retyped, arrays cut or grown, the text truncated), must
//! either load or be refused with an error; whatever loads must go through every
//! `report` format, `compare`, `merge` and the `open` viewer without a panic.

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::Arc;

use loadpilot::cli::{CompareFormat, ReportFormat};
use loadpilot::snapshot::{self, Snapshot};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use serde_json::Value;

/// Cases per fixture: a few seconds in a debug build. `LOADPILOT_FUZZ_CASES=5000`
/// runs more (and `LOADPILOT_FUZZ_SEED` another seed).
const CASES: usize = 100;
const SEED: u64 = 0x10ad_5eed;

const REPORTS: [ReportFormat; 8] = [
    ReportFormat::Text,
    ReportFormat::Json,
    ReportFormat::Csv,
    ReportFormat::Ndjson,
    ReportFormat::Markdown,
    ReportFormat::Junit,
    ReportFormat::Stages,
    ReportFormat::HdrLog,
];

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/snapshots")
        .join(name);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Numbers a hostile file would try.
fn hostile_number(rng: &mut SmallRng) -> Value {
    let pick: [Value; 14] = [
        1e308.into(),
        (-1e308).into(),
        (-1).into(),
        (-0.5).into(),
        0.into(),
        u64::MAX.into(),
        i64::MIN.into(),
        ((1u64 << 53) + 1).into(),
        u64::from(u32::MAX).into(),
        (u64::from(u32::MAX) + 1).into(),
        1e-308.into(),
        123.456.into(),
        f64::MAX.into(),
        1e19.into(),
    ];
    pick[rng.random_range(0..pick.len())].clone()
}

/// Every node's path from the root (object keys and array indices).
fn paths(value: &Value, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(here.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                here.push(Step::Key(k.clone()));
                paths(v, here, out);
                here.pop();
            }
        }
        Value::Array(items) => {
            // A sample of each array's items keeps the path list small.
            for i in [0, 1, items.len() / 2, items.len().saturating_sub(1)] {
                if let Some(v) = items.get(i) {
                    here.push(Step::Index(i));
                    paths(v, here, out);
                    here.pop();
                }
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

fn node<'a>(root: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(root, |v, step| match step {
        Step::Key(k) => v.get_mut(k),
        Step::Index(i) => v.get_mut(*i),
    })
}

/// One random edit; returns what it did, for the failure message.
fn mutate(root: &mut Value, rng: &mut SmallRng) -> String {
    let mut all = Vec::new();
    paths(root, &mut Vec::new(), &mut all);
    let path = all[rng.random_range(0..all.len())].clone();
    let kind = rng.random_range(0..6);
    if kind == 0
        && let Some((Step::Key(key), parent)) = path.split_last()
        && let Some(Value::Object(map)) = node(root, parent)
    {
        map.remove(key);
        return format!("deleted {path:?}");
    }
    let Some(target) = node(root, &path) else {
        return "no-op".into();
    };
    match (kind, &mut *target) {
        (1, Value::Array(items)) if !items.is_empty() => {
            let keep = rng.random_range(0..items.len());
            items.truncate(keep);
            format!("cut {path:?} to {keep}")
        }
        (2, Value::Array(items)) if !items.is_empty() => {
            let copy = items[rng.random_range(0..items.len())].clone();
            items.extend(std::iter::repeat_n(copy, 3));
            format!("grew {path:?}")
        }
        (3, _) => {
            let swap: [Value; 5] = [
                Value::Null,
                true.into(),
                "x".into(),
                Value::Array(vec![]),
                Value::Object(Default::default()),
            ];
            *target = swap[rng.random_range(0..swap.len())].clone();
            format!("retyped {path:?} to {target}")
        }
        _ => {
            *target = hostile_number(rng);
            format!("set {path:?} to {target}")
        }
    }
}

/// Everything a user can do with a loaded snapshot.
fn use_snapshot(snap: &Snapshot, other: &Snapshot) {
    for format in REPORTS {
        let _ = loadpilot::export::render(snap, format);
    }
    if let Ok(cmp) = loadpilot::compare::Comparison::new(other, snap) {
        for format in [
            CompareFormat::Text,
            CompareFormat::Markdown,
            CompareFormat::Json,
        ] {
            let failures = cmp.failures(&[]);
            let _ = cmp.render(format, &failures);
        }
        let _ = cmp.render_text_fitted(&[], 80);
    }
    let _ = loadpilot::merge::merge(&[other.clone(), snap.clone()]);
    if let Ok(record) = snap.to_record() {
        let replay = Arc::new(loadpilot::ui::replay::Replay::from_record(&record));
        let app = loadpilot::ui::state::App::viewer(
            replay.clone(),
            loadpilot::ui::theme::Theme::colored(),
            2,
        );
        let backend = ratatui::backend::TestBackend::new(100, 30);
        let mut terminal = ratatui::Terminal::new(backend).unwrap();
        terminal
            .draw(|f| loadpilot::ui::view::view(&app, f))
            .unwrap();
        if !replay.is_empty() {
            let _ = replay.frame_at(replay.len() - 1);
        }
        let _ = loadpilot::ui::baseline::Baseline::from_record(&record, "b");
    }
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn fuzz(name: &str, seed: u64) -> (usize, usize) {
    let original = fixture(name);
    let other = snapshot::read(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/snapshots/before.json"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case.json");
    let mut rng = SmallRng::seed_from_u64(seed);
    let (mut loaded, mut refused) = (0, 0);
    for case in 0..env_or("LOADPILOT_FUZZ_CASES", CASES as u64) as usize {
        let mut value = original.clone();
        let edits: Vec<String> = (0..rng.random_range(1..4))
            .map(|_| mutate(&mut value, &mut rng))
            .collect();
        let mut text = value.to_string();
        if rng.random_range(0..10) == 0 {
            text.truncate(rng.random_range(0..text.len()));
        }
        std::fs::write(&path, &text).unwrap();
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| match snapshot::read(&path) {
            Ok(snap) => {
                use_snapshot(&snap, &other);
                true
            }
            Err(e) => {
                assert!(!e.to_string().is_empty());
                false
            }
        }));
        match outcome {
            Ok(true) => loaded += 1,
            Ok(false) => refused += 1,
            Err(_) => panic!("{name} case {case} (seed {seed:#x}) panicked after: {edits:?}"),
        }
    }
    (loaded, refused)
}

#[test]
fn mutated_snapshots_load_or_are_refused_and_never_panic() {
    let seed = env_or("LOADPILOT_FUZZ_SEED", SEED);
    for (name, seed) in [("before.json", seed), ("after.json", seed + 1)] {
        let (loaded, refused) = fuzz(name, seed);
        // Both sides are exercised: some edits are harmless, most are caught.
        assert!(
            loaded > 0 && refused > 0,
            "{name}: {loaded} loaded, {refused} refused"
        );
    }
}
