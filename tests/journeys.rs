//! User journeys end to end against the real demo target: setup and token reuse,
//! data files, flows with polling, range streaming, uploads, checks, custom metrics,
//! personas, the shipped journey profiles, and bad input.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use common::*;
use loadpilot::demo_target::{LocalTarget, TargetConfig};
use loadpilot::metrics::journey_summary::JourneySummary;
use loadpilot::profile::{Profile, load_profile, parse_profile};
use loadpilot::session::{RunOutput, Session};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn base(t: &LocalTarget) -> String {
    format!("http://{}", t.addr)
}

/// A profile from TOML text, `${BASE_URL}` pointing at `t`.
fn journey(t: &LocalTarget, toml: &str) -> Profile {
    let vars = [("BASE_URL".to_string(), base(t))];
    parse_profile(toml, Path::new("journey.toml"), &vars).unwrap_or_else(|e| panic!("{e}"))
}

async fn run(profile: Profile) -> RunOutput {
    let session = Session::start(profile, &opts(), None).expect("session starts");
    tokio::time::timeout(Duration::from_secs(40), session.wait())
        .await
        .expect("run ends in time")
        .expect("run ok")
}

fn count(out: &RunOutput, request: &str) -> u64 {
    out.summary
        .requests
        .iter()
        .find(|r| r.name == request)
        .unwrap_or_else(|| panic!("no request {request}"))
        .stats
        .count
}

fn journey_of(out: &RunOutput) -> &JourneySummary {
    out.summary.journey.as_ref().expect("journey summary")
}

/// `GET path` on the target, body parsed as JSON.
async fn get_json(t: &LocalTarget, path: &str) -> serde_json::Value {
    let mut stream = tokio::net::TcpStream::connect(t.addr)
        .await
        .expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut text = String::new();
    stream.read_to_string(&mut text).await.expect("read");
    let body = text.split_once("\r\n\r\n").expect("a body").1;
    serde_json::from_str(body).expect("JSON body")
}

const HEAD: &str = "name = \"j\"\nbase_url = \"${BASE_URL}\"\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_extracted_in_setup_is_sent_on_later_requests() {
    let t = target().await;
    let toml = format!(
        r#"{HEAD}
[load]
stages = "0s:3,1500ms:3"
graceful_stop = "5s"

[[setup]]
name = "login"
method = "POST"
path = "/login"
json = {{ username = "vu{{{{vu}}}}" }}
extract = {{ token = "$.token" }}

[[request]]
name = "me"
path = "/api/me"
headers = {{ Authorization = "Bearer {{{{token}}}}" }}
check = {{ status = 200, json = {{ "$.roles[0]" = "tester" }} }}
"#
    );
    let out = run(journey(&t, &toml)).await;
    assert_eq!(count(&out, "login"), 3, "setup runs once per VU");
    assert!(count(&out, "me") > 10, "{:?}", out.summary.overall);
    // The target answers 401 to a missing or unknown token.
    assert_eq!(
        out.summary.overall.errors, 0,
        "{:?}",
        out.summary.error_classes
    );
    let served = served(&t).await;
    assert_eq!(served.get(&401), None, "{served:?}");
    let logins = get_json(&t, "/logins").await;
    let users: Vec<&str> = logins["users"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(users, ["vu0", "vu1", "vu2"], "{{{{vu}}}} rendered per VU");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_vu_data_rows_are_distinct_across_vus() {
    let t = target().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("users.csv");
    let rows: String = (0..10).map(|i| format!("user{i},pw{i}\n")).collect();
    std::fs::write(&csv, format!("username,password\n{rows}")).unwrap();
    let toml = format!(
        r#"{HEAD}data = {{ file = "{}", mode = "per-vu" }}
[load]
stages = "0s:6,1s:6"
graceful_stop = "5s"

[[setup]]
name = "login"
method = "POST"
path = "/login"
json = {{ username = "{{{{username}}}}", password = "{{{{password}}}}" }}
extract = {{ token = "$.token" }}

[[request]]
name = "me"
path = "/api/me"
headers = {{ Authorization = "Bearer {{{{token}}}}" }}
"#,
        csv.display()
    );
    let out = run(journey(&t, &toml)).await;
    assert_eq!(
        out.summary.overall.errors, 0,
        "{:?}",
        out.summary.error_classes
    );
    let logins = get_json(&t, "/logins").await;
    let users = logins["users"].as_object().unwrap();
    assert_eq!(users.len(), 6, "one distinct user per VU: {users:?}");
    for (user, n) in users {
        assert!(user.starts_with("user"), "{user}");
        assert_eq!(n, 1, "{user} logged in once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_stops_at_done_and_records_the_flow_time() {
    let t = target_with(TargetConfig {
        job_duration: Duration::from_millis(600),
        ..TargetConfig::default()
    })
    .await;
    let toml = format!(
        r#"{HEAD}
[load]
stages = "0s:3,2500ms:3"
graceful_stop = "5s"

[[flow]]
name = "job"

[[flow.step]]
name = "submit"
method = "POST"
path = "/jobs"
extract = {{ id = "$.id" }}
check = {{ status = 202 }}

[[flow.step]]
name = "poll"
path = "/jobs/{{{{id}}}}"
repeat_until = {{ json = "$.status", equals = "done", fail_if = "failed", interval = "100ms", max_attempts = 50 }}

[thresholds]
"job.p95" = "< 2s"
"#
    );
    let out = run(journey(&t, &toml)).await;
    let flows = &journey_of(&out).flows;
    assert_eq!(flows.len(), 1);
    let job = &flows[0];
    assert!(job.count >= 6, "{job:?}");
    // Done after 600 ms; polls every 100 ms; so 600–~800 ms per job.
    assert!(job.p50_ms >= 600.0 && job.p50_ms < 900.0, "{job:?}");
    let (submits, polls) = (count(&out, "job/submit"), count(&out, "job/poll"));
    let per_job = polls as f64 / submits as f64;
    assert!(
        (5.0..=9.0).contains(&per_job),
        "{polls} polls for {submits} jobs"
    );
    assert!(out.summary.passed, "{:?}", out.summary.thresholds);
    assert_eq!(out.summary.thresholds[0].expr, "job.p95 < 2s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_range_requests_cover_the_file_and_bytes_match() {
    let t = target().await;
    let toml = format!(
        r#"{HEAD}
[load]
stages = "0s:1,1s:1"
graceful_stop = "5s"

[[request]]
name = "chunk"
path = "/stream/movie?size=1000000"
range = {{ chunk = "300000", seek = "sequential" }}
check = {{ status = 206 }}
"#
    );
    let out = run(journey(&t, &toml)).await;
    let n = count(&out, "chunk");
    assert!(n >= 8, "{n}");
    assert_eq!(
        out.summary.overall.errors, 0,
        "{:?}",
        out.summary.error_classes
    );
    // 0-299999, 300000-599999, 600000-899999, 900000-999999, then from the start again.
    let pattern = [300_000u64, 300_000, 300_000, 100_000];
    let expected: u64 = (0..n as usize).map(|i| pattern[i % 4]).sum();
    let chunks = journey_of(&out).chunks.as_ref().expect("chunk stats");
    assert_eq!(chunks.count, n);
    assert_eq!(chunks.bytes, expected);
    assert!(chunks.mb_per_sec > 0.0);
    assert!(out.summary.bytes_in > expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_sizes_arrive_intact() {
    let t = target().await;
    let toml = format!(
        r#"{HEAD}
[load]
stages = "0s:2,1s:2"
graceful_stop = "5s"

[[request]]
name = "upload"
method = "POST"
path = "/upload"
multipart = {{ field = "doc", size = "123456", filename = "a.bin" }}
check = {{ status = 200, json = {{ "$.total_bytes" = 123456, "$.parts[0].size" = 123456, "$.parts[0].field" = "doc" }} }}
"#
    );
    let out = run(journey(&t, &toml)).await;
    let n = count(&out, "upload");
    assert!(n >= 4, "{n}");
    let checks = journey_of(&out).checks.as_ref().expect("checks");
    assert_eq!((checks.passed, checks.failed), (4 * n, 0), "{checks:?}");
    assert!(out.summary.bytes_out >= n * 123_456);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_failures_are_counted_and_named_and_custom_rates_computed() {
    let t = target().await;
    let toml = format!(
        r#"{HEAD}
[load]
stages = "0s:3,1500ms:3"
graceful_stop = "5s"

[[request]]
name = "ping"
path = "/ping"
check = {{ status = "2xx", body_contains = "nope" }}
metric = {{ name = "json_type", header = "Content-Type", equals = "application/json" }}

[[request]]
name = "items"
path = "/api/items"
check = {{ header = {{ "X-Cache" = true, "X-Missing" = false }} }}
metric = {{ name = "json_type", header = "Content-Type", equals = "application/json" }}

[thresholds]
json_type = "> 0%"
check_rate = "< 1%"
"#
    );
    let out = run(journey(&t, &toml)).await;
    let (pings, items) = (count(&out, "ping"), count(&out, "items"));
    let classes = &out.summary.overall.classes;
    assert_eq!(classes.get("check"), Some(&pings), "{classes:?}");
    assert_eq!(classes.get("ok"), Some(&items), "{classes:?}");
    let checks = journey_of(&out).checks.as_ref().unwrap();
    // ping: status passes, body_contains fails; items: both header checks pass.
    assert_eq!(checks.failed, pings);
    assert_eq!(checks.passed, pings + 2 * items);
    assert_eq!(
        checks.failing,
        vec![("ping: body_contains \"nope\"".to_string(), pings)]
    );
    assert!(
        out.record
            .log
            .iter()
            .any(|e| e.text == "check failed: ping: body_contains \"nope\""),
        "the failed check is named in the event log"
    );
    let metric = &journey_of(&out).metrics[0];
    assert_eq!((metric.hits, metric.total), (items, pings + items));
    let text = out.summary.render_text();
    assert!(text.contains("checks: "), "{text}");
    assert!(
        text.contains(&format!("✗ {pings}")) || pings >= 1000,
        "{text}"
    );
    // json_type passes, check_rate fails.
    assert_eq!(
        out.summary
            .thresholds
            .iter()
            .map(|t| t.passed)
            .collect::<Vec<_>>(),
        [true, false]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persona_shares_match_their_weights() {
    let t = target().await;
    let persona = |name: &str, weight: u32| {
        format!(
            "[[persona]]\nname = \"{name}\"\nweight = {weight}\nthink_time = \"50ms\"\n\
             [[persona.request]]\nname = \"ping\"\npath = \"/ping\"\n"
        )
    };
    let toml = format!(
        "{HEAD}[load]\nstages = \"0s:40,1500ms:40\"\ngraceful_stop = \"5s\"\n{}{}{}",
        persona("a", 5),
        persona("b", 3),
        persona("c", 2)
    );
    let out = run(journey(&t, &toml)).await;
    let counts: BTreeMap<&str, u64> = ["a", "b", "c"]
        .iter()
        .map(|p| (*p, count(&out, &format!("{p} · ping"))))
        .collect();
    let total: u64 = counts.values().sum();
    assert!(total > 300, "{counts:?}");
    for (p, w) in [("a", 0.5), ("b", 0.3), ("c", 0.2)] {
        let share = counts[p] as f64 / total as f64;
        assert!(
            (share - w).abs() < 0.04,
            "{p}: {share:.3} vs {w} ({counts:?})"
        );
    }
    let personas = &journey_of(&out).personas;
    assert_eq!(personas.len(), 3);
    assert_eq!(personas[0].requests, counts["a"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runtime_failures_are_counted_classes_with_messages() {
    let t = target().await;
    let toml = format!(
        r#"{HEAD}
[load]
stages = "0s:2,1200ms:2"
graceful_stop = "5s"

[[setup]]
name = "login"
method = "POST"
path = "/login"
extract = {{ token = "$.no_such_field" }}

[[request]]
name = "me"
path = "/api/me"
headers = {{ Authorization = "Bearer {{{{token}}}}" }}
"#
    );
    let out = run(journey(&t, &toml)).await;
    // The JSONPath never matches: setup fails, VUs back off (0.5 s, 1 s, …) and retry.
    let logins = count(&out, "login");
    assert!(
        (2..=8).contains(&logins),
        "backoff, not hammering: {logins}"
    );
    assert_eq!(count(&out, "me"), 0);
    let setup = out
        .summary
        .error_classes
        .iter()
        .find(|c| c.label == "setup")
        .expect("setup class");
    assert_eq!(setup.count, logins);
    let message = setup.last_message.as_deref().unwrap();
    assert!(
        message
            .contains("setup failed: login: extract token = \"$.no_such_field\" matched nothing"),
        "{message}"
    );
}

/// Every shipped journey profile validates and runs 10 s against the demo target
/// with all thresholds passing (exit code 0). The five run at once to keep the
/// suite short.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shipped_journey_profiles_validate_and_run_for_ten_seconds() {
    let names = [
        "login-journey",
        "uploads",
        "job-polling",
        "streaming",
        "mixed-personas",
    ];
    let mut runs = Vec::new();
    for name in names {
        let t = target().await;
        let vars = [("BASE_URL".to_string(), base(&t))];
        let path = format!("profiles/{name}.toml");
        load_profile(Path::new(&path), &[]).unwrap_or_else(|e| panic!("{e}"));
        let profile = load_profile(Path::new(&path), &vars).unwrap();
        let mut opts = opts();
        opts.duration = Some(Duration::from_secs(10));
        runs.push(tokio::spawn(async move {
            let session = Session::start(profile, &opts, None).expect("starts");
            let out = tokio::time::timeout(Duration::from_secs(45), session.wait())
                .await
                .expect("ends in time")
                .expect("run ok");
            drop(t);
            (name, out)
        }));
    }
    for run in runs {
        let (name, out) = run.await.unwrap();
        assert!(out.summary.overall.count > 0, "{name}");
        assert!(
            out.summary.passed,
            "{name}: {:?}\n{}",
            out.summary.thresholds,
            out.summary.render_text()
        );
    }
}

/// Mistakes that can be known before running are load-time errors with a position.
#[test]
fn bad_input_is_a_clear_validation_error() {
    let fixture = |name: &str| {
        load_profile(Path::new(&format!("tests/fixtures/profiles/{name}")), &[]).expect_err(name)
    };
    let e = fixture("journey-unknown-var.toml");
    assert_eq!(e.field(), Some("request[0].headers.Authorization"));
    assert!(e.message().contains("unknown variable \"{{tokn}}\""), "{e}");
    assert!(e.hint().unwrap().contains("token"), "{e}");
    assert_eq!(e.line(), Some(14));

    let e = fixture("journey-bad-jsonpath.toml");
    assert_eq!(e.field(), Some("setup[0].extract.token"));
    assert!(e.message().contains("not a valid JSONPath"), "{e}");

    let e = fixture("journey-missing-data.toml");
    assert_eq!(e.field(), Some("data.file"));
    assert!(
        e.message()
            .contains("data file \"assets/no-such-users.csv\" not found"),
        "{e}"
    );

    let e = fixture("journey-short-row.toml");
    assert_eq!(e.field(), Some("data.file"));
    assert!(
        e.message()
            .contains("line 3 has 1 values but the header has 2"),
        "{e}"
    );

    let e = fixture("journey-setup-uses-later-var.toml");
    assert_eq!(e.field(), Some("setup[0].path"));
    assert!(e.message().contains("unknown variable \"{{job}}\""), "{e}");
}

/// `{{…}}` in checks is expanded per VU like everywhere else: each VU's check
/// names its own user (a literal `{{user}}` would match nothing), and a template
/// that renders to something else fails the check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_in_checks_are_expanded_per_vu() {
    let t = target().await;
    let toml = format!(
        r#"{HEAD}
[load]
stages = "0s:3,1500ms:3"
graceful_stop = "5s"

[[setup]]
name = "login"
method = "POST"
path = "/login"
json = {{ username = "vu{{{{vu}}}}" }}
extract = {{ token = "$.token" }}

[[request]]
name = "me"
path = "/api/me"
headers = {{ Authorization = "Bearer {{{{token}}}}" }}
check = {{ status = 200, body_contains = "\"vu{{{{vu}}}}\"", json = {{ "$.user" = "vu{{{{vu}}}}" }} }}

[[request]]
name = "other"
path = "/api/me"
headers = {{ Authorization = "Bearer {{{{token}}}}" }}
check = {{ body_contains = "\"vu{{{{vu}}}}x\"" }}
"#
    );
    let out = run(journey(&t, &toml)).await;
    let me = out
        .summary
        .requests
        .iter()
        .find(|r| r.name == "me")
        .unwrap();
    assert!(me.stats.count > 5, "{:?}", me.stats);
    assert_eq!(me.stats.errors, 0, "{:?}", out.summary.error_classes);
    let other = out
        .summary
        .requests
        .iter()
        .find(|r| r.name == "other")
        .unwrap();
    assert!(other.stats.count > 5, "{:?}", other.stats);
    assert_eq!(other.stats.errors, other.stats.count, "vuNx never matches");
    let check = out
        .summary
        .error_classes
        .iter()
        .find(|c| c.label == "check")
        .expect("check failures");
    let message = check.last_message.as_deref().unwrap();
    assert!(message.contains("body_contains \"\"vu"), "{message}");
    assert!(!message.contains("{{"), "rendered, not literal: {message}");
}
