//! Cookies and redirects end to end against the real demo target over a real
//! socket: per-VU cookie jars (`cookies`), redirects (`follow_redirects`), the
//! `redirect` error class, `{{cookie.NAME}}` templates, templates in checks, and
//! cookie values kept out of messages and snapshots.

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;
use loadpilot::demo_target::LocalTarget;
use loadpilot::outcome::OutcomeClass;
use loadpilot::profile::{Profile, parse_profile};
use loadpilot::report::{ClassSummary, ScopeSummary};
use loadpilot::session::{RunOutput, Session};

/// A profile from TOML text, `${BASE_URL}` pointing at `t`.
fn profile(t: &LocalTarget, toml: &str) -> Profile {
    let vars = [("BASE_URL".to_string(), format!("http://{}", t.addr))];
    parse_profile(toml, Path::new("cookies.toml"), &vars).unwrap_or_else(|e| panic!("{e}"))
}

async fn run(profile: Profile) -> RunOutput {
    let session = Session::start(profile, &opts(), None).expect("session starts");
    tokio::time::timeout(Duration::from_secs(40), session.wait())
        .await
        .expect("run ends in time")
        .expect("run ok")
}

fn stats<'a>(out: &'a RunOutput, request: &str) -> &'a ScopeSummary {
    &out.summary
        .requests
        .iter()
        .find(|r| r.name == request)
        .unwrap_or_else(|| panic!("no request {request}"))
        .stats
}

fn class(out: &RunOutput, class: OutcomeClass) -> Option<&ClassSummary> {
    out.summary.error_classes.iter().find(|c| c.class == class)
}

fn no_errors(out: &RunOutput) {
    assert_eq!(
        out.summary.overall.errors, 0,
        "{:#?}",
        out.summary.error_classes
    );
}

const HEAD: &str = "name = \"c\"\nbase_url = \"${BASE_URL}\"\n";
/// Three VUs for a little over a second.
const LOAD: &str = "[load]\nstages = \"0s:3,1200ms:3\"\ngraceful_stop = \"5s\"\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cookie_set_at_login_comes_back_to_the_same_vu_only() {
    let t = target().await;
    // Each VU logs in with its own session; if jars were shared, the last login
    // would overwrite the others and their checks would fail.
    let toml = format!(
        r#"{HEAD}{LOAD}
[[setup]]
name = "login"
path = "/cookies/set?session=vu{{{{vu}}}}"

[[request]]
name = "whoami"
path = "/cookies"
check = {{ json = {{ "$.cookies.session" = "vu{{{{vu}}}}" }} }}

[[request]]
name = "own cookie kept"
path = "/echo"
headers = {{ Cookie = "lang=en" }}
check = {{ header = {{ "content-type" = "application/json" }}, body_contains = "lang=en; session=vu{{{{vu}}}}" }}
"#
    );
    let out = run(profile(&t, &toml)).await;
    no_errors(&out);
    assert_eq!(stats(&out, "login").count, 3, "one login per VU");
    assert!(
        stats(&out, "whoami").count >= 3,
        "{:?}",
        out.summary.overall
    );
    assert!(stats(&out, "own cookie kept").count >= 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_false_sends_none_in_defaults_and_per_request() {
    let t = target().await;
    let toml = format!(
        r#"{HEAD}{LOAD}
[[setup]]
name = "login"
path = "/cookies/set?session=abc"

[[request]]
name = "jar off here"
path = "/cookies"
cookies = false
check = {{ body_contains = "\"cookies\":{{}}" }}

[[request]]
name = "jar on"
path = "/cookies"
check = {{ json = {{ "$.cookies.session" = "abc" }} }}
"#
    );
    let out = run(profile(&t, &toml)).await;
    no_errors(&out);
    assert!(stats(&out, "jar off here").count > 0);
    assert!(stats(&out, "jar on").count > 0);

    let off = format!(
        r#"{HEAD}{LOAD}
[defaults]
cookies = false

[[setup]]
name = "login"
path = "/cookies/set?session=abc"

[[request]]
name = "no jar"
path = "/cookies"
check = {{ body_contains = "\"cookies\":{{}}" }}
"#
    );
    let out = run(profile(&t, &off)).await;
    no_errors(&out);
    assert!(stats(&out, "no jar").count > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_chain_is_one_request_with_the_final_status_and_the_whole_latency() {
    let t = target().await;
    // Four responses of at least 40 ms each: the chain takes at least 160 ms.
    let toml = format!(
        r#"{HEAD}
[load]
stages = "0s:1,1s:1"
graceful_stop = "5s"

[[request]]
name = "chain"
path = "/redirect/3?delay_ms=40"
check = {{ status = 200, json = {{ "$.redirected" = true }} }}
"#
    );
    let out = run(profile(&t, &toml)).await;
    no_errors(&out);
    let chain = stats(&out, "chain");
    assert!(chain.count >= 1);
    assert!(chain.min_ms >= 160.0, "min {} ms", chain.min_ms);
    assert_eq!(out.summary.ok_statuses, vec![(200, chain.count)]);
    let served = served(&t).await;
    assert_eq!(served.get(&302), Some(&(3 * chain.count)), "{served:?}");
    assert_eq!(served.get(&200), Some(&chain.count), "{served:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_redirects_zero_records_the_302_itself() {
    let t = target().await;
    let toml = format!(
        r#"{HEAD}{LOAD}
[defaults]
follow_redirects = 0

[[request]]
name = "hop"
path = "/redirect/3"
"#
    );
    let out = run(profile(&t, &toml)).await;
    no_errors(&out);
    let n = stats(&out, "hop").count;
    assert!(n > 0);
    assert_eq!(out.summary.ok_statuses, vec![(302, n)]);
    assert_eq!(served(&t).await.get(&200), None, "no hop was followed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_loop_is_the_redirect_class_with_its_own_message() {
    let t = target().await;
    let toml = format!(
        r#"{HEAD}
[load]
stages = "0s:1,500ms:1"
graceful_stop = "5s"

[[request]]
name = "loop"
path = "/redirect-loop"

[[request]]
name = "too long"
path = "/redirect/3"
follow_redirects = 2
"#
    );
    let out = run(profile(&t, &toml)).await;
    let looped = stats(&out, "loop");
    let too_long = stats(&out, "too long");
    assert!(looped.count > 0 && too_long.count > 0, "{:?}", out.summary);
    assert_eq!(looped.classes.get("redirect"), Some(&looped.count));
    assert_eq!(too_long.classes.get("redirect"), Some(&too_long.count));
    let redirect = class(&out, OutcomeClass::Redirect).expect("a redirect class row");
    assert_eq!(redirect.label, "redirect");
    assert_eq!(redirect.count, looped.count + too_long.count);
    let message = redirect.last_message.as_deref().unwrap_or("");
    assert!(
        message.contains("redirect loop: more than 10 redirects (last: /redirect-loop)")
            || message.contains("redirect loop: more than 2 redirects (last: /redirect/0)"),
        "{message}"
    );
    // The default allows 10 hops: the 11th redirect is where it stops.
    let served = served(&t).await;
    assert_eq!(
        served.get(&302),
        Some(&(11 * looped.count + 3 * too_long.count)),
        "{served:?}"
    );
    // The JSON summary names the class by its label.
    let json = serde_json::to_value(&out.summary).unwrap();
    let labels: Vec<&str> = json["error_classes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["class"].as_str())
        .collect();
    assert!(labels.contains(&"redirect"), "{labels:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookie_templates_expand_and_a_missing_cookie_is_named() {
    let t = target().await;
    let toml = format!(
        r#"{HEAD}{LOAD}
[[setup]]
name = "login"
path = "/cookies/set?session=s{{{{vu}}}}x"

[[request]]
name = "csrf header"
path = "/echo"
headers = {{ X-Session = "{{{{cookie.session}}}}" }}
check = {{ json = {{ "$.headers['x-session']" = "s{{{{vu}}}}x" }} }}
"#
    );
    let out = run(profile(&t, &toml)).await;
    no_errors(&out);
    assert!(stats(&out, "csrf header").count >= 3);
    let echoed_before = served(&t).await.get(&200).copied().unwrap_or(0);

    let missing = format!(
        r#"{HEAD}
[load]
stages = "0s:1,300ms:1"
graceful_stop = "5s"

[[request]]
name = "needs cookie"
path = "/echo"
headers = {{ X-Session = "{{{{cookie.nope}}}}" }}
"#
    );
    let out = run(profile(&t, &missing)).await;
    let setup = class(&out, OutcomeClass::Setup).expect("the unrendered step is a setup error");
    let message = setup.last_message.as_deref().unwrap_or("");
    assert!(
        message.contains("cookie {{cookie.nope}} is not set for /echo"),
        "{message}"
    );
    assert_eq!(
        served(&t).await.get(&200).copied().unwrap_or(0),
        // The first scrape's own 200 is counted by the second.
        echoed_before + 1,
        "a step with a missing cookie is not sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_in_checks_expand_like_everywhere_else() {
    let t = target().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("users.csv");
    std::fs::write(&csv, "username\nada\ngrace\nlinus\n").unwrap();
    let toml = format!(
        r#"{HEAD}data = {{ file = "{}", mode = "per-vu" }}
{LOAD}
[[request]]
name = "named"
path = "/cookies/set?user={{{{username}}}}"
check = {{ body_contains = "{{{{username}}}}" }}

[[request]]
name = "mismatch"
path = "/cookies/set?user={{{{username}}}}"
check = {{ body_contains = "{{{{username}}}}-not-there" }}
"#,
        csv.display()
    );
    let out = run(profile(&t, &toml)).await;
    let named = stats(&out, "named");
    assert!(named.count > 0);
    assert_eq!(named.errors, 0, "{:#?}", out.summary.error_classes);
    let mismatch = stats(&out, "mismatch");
    assert!(mismatch.count > 0);
    assert_eq!(mismatch.classes.get("check"), Some(&mismatch.count));
    let message = class(&out, OutcomeClass::Check)
        .and_then(|c| c.last_message.clone())
        .unwrap_or_default();
    // The needle was rendered per VU (one of the data rows), not sent as written.
    assert!(
        ["ada", "grace", "linus"]
            .iter()
            .any(|u| message.contains(&format!("body_contains \"{u}-not-there\""))),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookie_values_never_reach_messages_or_the_snapshot() {
    let t = target().await;
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("run.json");
    // The value comes from a data file (not the profile, whose secrets are
    // redacted anyway), the target sets it as a cookie, and a check that quotes it
    // through `{{cookie.sid}}` fails.
    let csv = dir.path().join("words.csv");
    std::fs::write(&csv, "word\njar-secret-8675309\n").unwrap();
    let toml = format!(
        r#"{HEAD}data = {{ file = "{}" }}
[load]
stages = "0s:1,500ms:1"
graceful_stop = "5s"

[[setup]]
name = "login"
path = "/cookies/set?sid={{{{word}}}}"

[[request]]
name = "leaky check"
path = "/cookies"
check = {{ body_contains = "{{{{cookie.sid}}}}-missing" }}
"#,
        csv.display()
    );
    let mut o = opts();
    o.no_snapshot = false;
    o.out = Some(snapshot.clone());
    let out = Session::start(profile(&t, &toml), &o, None)
        .unwrap()
        .wait()
        .await
        .unwrap();
    let check = class(&out, OutcomeClass::Check).expect("the check failed");
    let message = check.last_message.as_deref().unwrap_or("");
    assert!(message.contains("[redacted]-missing"), "{message}");
    let text = String::from_utf8_lossy(&std::fs::read(&snapshot).unwrap()).into_owned();
    assert!(text.contains("leaky check"), "the snapshot has the run");
    assert!(
        !text.contains("jar-secret-8675309"),
        "a cookie value leaked into the snapshot"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_logs_never_show_cookie_values() {
    let t = target().await;
    // Every log line on (trace), a cookie set on every request: the value must not
    // show anywhere on stderr (the URL's `session=` is redacted from the names).
    let mut cmd = loadpilot();
    cmd.env("LOADPILOT_LOG", "trace").args([
        "run",
        &t.url("/cookies/set?session=log-secret-24601"),
        "-n",
        "3",
        "-c",
        "1",
        "--no-snapshot",
        "--headless",
    ]);
    let out = output(cmd).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("TRACE") || stderr.contains("DEBUG"),
        "logging is on"
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains("[redacted]"), "{stdout}");
    assert!(
        !stderr.contains("log-secret-24601") && !stdout.contains("log-secret-24601"),
        "a cookie value reached the output:\n{stderr}\n{stdout}"
    );
}
