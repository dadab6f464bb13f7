//! Robustness as a property: mutated shipped profiles (edits, truncations, type
//! swaps, huge numbers) never panic the parser or request preparation, and every
//! error names the file and a line, or says why it cannot.
//!
//! CI runs a fixed seed and a bounded number of cases (a few seconds);
//! `PROPTEST_CASES=20000 cargo nextest run --test profile_fuzz` runs more, and
//! `PROPTEST_RNG_SEED=N` another sequence.

use std::path::{Path, PathBuf};

use loadpilot::engine::request::Prepared;
use loadpilot::profile::parse_profile;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

fn shipped() -> Vec<(PathBuf, String)> {
    let mut out: Vec<(PathBuf, String)> = std::fs::read_dir("profiles")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect();
    out.sort();
    out
}

/// One edit to a profile's text.
#[derive(Debug, Clone)]
enum Mutation {
    /// Cut the file at this fraction of its length.
    Truncate(f64),
    /// Put `text` at this fraction of the length, replacing `drop` characters.
    Splice { at: f64, drop: usize, text: String },
    /// Replace the `nth` value after a `=` with `text` (a type swap or a huge number).
    SwapValue { nth: usize, text: String },
}

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("99999999999999999999999".to_string()),
        Just("-1".to_string()),
        Just("0".to_string()),
        Just("1e308".to_string()),
        Just("\"500000000000y\"".to_string()),
        Just("\"0s\"".to_string()),
        Just("true".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
        Just("\"{{nope}}\"".to_string()),
        Just("\"${UNSET_VARIABLE}\"".to_string()),
        Just("\"\\u0000\"".to_string()),
        Just("[[request]]\n".to_string()),
        Just("[[setup]]\npath = \"/x\"\n".to_string()),
        "[\"=\\[\\]{}#,.\\n a-zé0-9]{1,12}".prop_map(|s| s),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0.0..1.0f64).prop_map(Mutation::Truncate),
        (0.0..1.0f64, 0usize..8, fragment()).prop_map(|(at, drop, text)| Mutation::Splice {
            at,
            drop,
            text
        }),
        (0usize..200, fragment()).prop_map(|(nth, text)| Mutation::SwapValue { nth, text }),
    ]
}

fn char_index(text: &str, fraction: f64) -> usize {
    let chars = text.chars().count();
    let n = ((chars as f64) * fraction) as usize;
    text.char_indices().nth(n).map_or(text.len(), |(i, _)| i)
}

fn apply(text: &str, m: &Mutation) -> String {
    match m {
        Mutation::Truncate(f) => text[..char_index(text, *f)].to_string(),
        Mutation::Splice { at, drop, text: t } => {
            let start = char_index(text, *at);
            let end = text[start..]
                .char_indices()
                .nth(*drop)
                .map_or(text.len(), |(i, _)| start + i);
            format!("{}{t}{}", &text[..start], &text[end..])
        }
        Mutation::SwapValue { nth, text: t } => {
            let values: Vec<usize> = text.match_indices(" = ").map(|(i, _)| i + 3).collect();
            let Some(&start) = values.get(nth % values.len().max(1)) else {
                return text.to_string();
            };
            let end = text[start..]
                .find(['\n', ','])
                .map_or(text.len(), |i| start + i);
            format!("{}{t}{}", &text[..start], &text[end..])
        }
    }
}

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(300);
    let rng_seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(RngSeed::Fixed(0x010A_D917), RngSeed::Fixed);
    Config {
        cases,
        rng_seed,
        failure_persistence: None,
        ..Config::default()
    }
}

fn check(path: &Path, text: &str) -> Result<(), TestCaseError> {
    match parse_profile(text, path, &[]) {
        Ok(profile) => {
            // What validate accepts must prepare without panicking; a refusal
            // here is an error message, not a crash.
            let _ = Prepared::new(&profile);
        }
        Err(e) => {
            let shown = e.to_string();
            let named = format!("{}:", path.display());
            prop_assert!(shown.starts_with(&named), "no file named: {shown}");
            prop_assert!(
                e.line().is_some() || shown.len() > named.len() + 10,
                "neither a line nor a reason: {shown}"
            );
        }
    }
    Ok(())
}

#[test]
fn mutated_shipped_profiles_never_panic_and_every_error_is_located() {
    let profiles = shipped();
    assert!(profiles.len() >= 5, "{profiles:?}");
    let mut runner = proptest::test_runner::TestRunner::new(config());
    let strategy = (
        0..profiles.len(),
        proptest::collection::vec(mutation(), 1..4),
    );
    runner
        .run(&strategy, |(i, mutations)| {
            let (path, original) = &profiles[i];
            let text = mutations.iter().fold(original.clone(), |t, m| apply(&t, m));
            check(path, &text)
        })
        .unwrap();
}
