//! A threshold on a scope that recorded nothing is "no data": it fails the run
//! unless the threshold says `allow_empty = true`. Real runs against the demo
//! target: one VU gets the first of two personas (by weight, deterministically),
//! so the second persona's request is never sent.

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;
use loadpilot::profile::{Profile, parse_profile};
use loadpilot::session::{RunOutput, Session};

fn two_personas(base: &str, threshold: &str) -> Profile {
    let toml = format!(
        r#"
name = "no-data"
base_url = "{base}"

[load]
stages = [{{ duration = "400ms", target = 1 }}]
graceful_stop = "2s"

[[persona]]
name = "a"

[[persona.request]]
name = "ping"
path = "/ping"

[[persona]]
name = "b"

[[persona.request]]
name = "never"
path = "/ping"

[thresholds]
"a · ping.p99" = "< 5s"
"b · never.p99" = {threshold}
"#
    );
    parse_profile(&toml, Path::new("no-data.toml"), &[]).unwrap_or_else(|e| panic!("{e}"))
}

async fn run(profile: Profile) -> RunOutput {
    let session = Session::start(profile, &opts(), None).expect("session starts");
    tokio::time::timeout(Duration::from_secs(30), session.wait())
        .await
        .expect("run ends in time")
        .expect("run ok")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_threshold_on_a_request_never_sent_is_no_data_and_fails() {
    let t = target().await;
    let out = run(two_personas(&t.url(""), r#""< 1s""#)).await;
    let [sent, never] = &out.summary.thresholds[..] else {
        panic!("{:?}", out.summary.thresholds);
    };
    assert!(sent.passed && !sent.no_data, "{sent:?}");
    assert!(never.no_data, "{never:?}");
    assert_eq!(never.shown, "no data");
    assert!(!never.passed, "no data fails without allow_empty");
    assert!(!out.summary.passed);
    let text = out.summary.render_text();
    assert!(text.contains("no data"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_empty_lets_a_threshold_without_data_pass() {
    let t = target().await;
    let out = run(two_personas(
        &t.url(""),
        r#"{ expr = "< 1s", allow_empty = true }"#,
    ))
    .await;
    let never = &out.summary.thresholds[1];
    assert!(never.no_data && never.passed, "{never:?}");
    assert_eq!(never.shown, "no data");
    assert!(out.summary.passed, "{:?}", out.summary.thresholds);
}

#[test]
fn a_threshold_table_needs_expr_and_knows_only_its_keys() {
    let bad = |value: &str| {
        let toml = format!(
            "name = \"x\"\nbase_url = \"http://127.0.0.1:1\"\n[[request]]\nname = \"ping\"\npath = \"/\"\n[thresholds]\n\"ping.p99\" = {value}\n"
        );
        parse_profile(&toml, Path::new("x.toml"), &[])
            .expect_err("rejected")
            .to_string()
    };
    let missing = bad("{ allow_empty = true }");
    assert!(missing.contains("expr"), "{missing}");
    let unknown = bad(r#"{ expr = "< 1s", allow_emtpy = true }"#);
    assert!(unknown.contains("allow_emtpy"), "{unknown}");
}
