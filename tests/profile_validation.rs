//! Profiles: every shipped profile parses, and every kind of mistake is reported
//! with the file, the exact line:column and the field.
//!
//! Fixtures live in `tests/fixtures/profiles/`; each `bad` one holds one mistake.
//! Paths are relative to the crate root, where `cargo test` runs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use loadpilot::outcome::OutcomeClass;
use loadpilot::profile::{DEFAULT_GRACEFUL_STOP, DEFAULT_TIMEOUT, load_profile, parse_profile};
use loadpilot::threshold::{Op, Stat};

fn fixture(name: &str) -> PathBuf {
    Path::new("tests/fixtures/profiles").join(name)
}

/// Loads a bad fixture and checks the error's position, field and wording.
fn assert_error(name: &str, line: usize, column: usize, field: &str, says: &str) {
    let path = fixture(name);
    let err = match load_profile(&path, &[]) {
        Ok(p) => panic!("{name} should not parse, got {p:?}"),
        Err(e) => e,
    };
    let shown = err.to_string();
    let prefix = format!("{}:{line}:{column}: {field}: ", path.display());
    assert!(
        shown.starts_with(&prefix),
        "{name}: expected the error to start with\n  {prefix}\ngot\n  {shown}"
    );
    assert!(
        shown.contains(says),
        "{name}: expected {says:?} in\n  {shown}"
    );
    assert_eq!((err.line(), err.column()), (Some(line), Some(column)));
    assert_eq!(err.field(), Some(field));
}

#[test]
fn every_shipped_profile_parses() {
    let mut seen = Vec::new();
    for entry in std::fs::read_dir("profiles").expect("profiles/ exists") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let profile = load_profile(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert!(!profile.requests.is_empty(), "{}", path.display());
        assert!(!profile.load.stages.is_empty(), "{}", path.display());
        assert_eq!(
            profile.base_url,
            "http://127.0.0.1:8080",
            "{}",
            path.display()
        );
        seen.push(profile.name);
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "arrival-rate",
            "breaking-point",
            "demo",
            "health-baseline",
            "job-polling",
            "login-journey",
            "mixed-personas",
            "mixed-traffic",
            "soak",
            "spike",
            "streaming",
            "stress-recovery",
            "uploads"
        ]
    );
}

#[test]
fn shipped_profiles_follow_the_base_url_variable() {
    let vars = [("BASE_URL".to_string(), "http://10.0.0.7:9000".to_string())];
    let profile = load_profile(Path::new("profiles/health-baseline.toml"), &vars).unwrap();
    assert_eq!(profile.base_url, "http://10.0.0.7:9000");
}

#[test]
fn demo_profile_covers_every_loopback_error_class() {
    let demo = load_profile(Path::new("profiles/demo.toml"), &[]).unwrap();
    let total: Duration = demo.load.stages.iter().map(|s| s.duration).sum();
    assert!(
        (Duration::from_secs(90)..=Duration::from_secs(150)).contains(&total),
        "{total:?}"
    );
    let paths: Vec<&str> = demo.requests.iter().map(|r| r.path.as_str()).collect();
    for needed in [
        "/ping",
        "/api/items",
        "/slow",
        "/flaky",
        "/limited",
        "/login",
        "/api/me",
        "/upload",
        "/jobs",
        "/health",
        "/metrics",
        "/echo",
        "/close",
    ] {
        assert!(
            paths.iter().any(|p| p.split('?').next() == Some(needed)),
            "demo misses {needed}"
        );
    }
    for prefix in [
        "/stream/",
        "/jobs/",
        "/status/",
        "/delay/",
        "/bytes/",
        "http://127.0.0.1:9/",
        "https://",
    ] {
        assert!(
            paths.iter().any(|p| p.starts_with(prefix)),
            "demo misses {prefix}"
        );
    }
    let slow = demo.requests.iter().find(|r| r.path == "/slow").unwrap();
    assert_eq!(slow.timeout, Some(Duration::from_secs(2)));
    assert!(demo.requests.iter().any(|r| r.check.max_duration.is_some()));
}

#[test]
fn every_key_resolves() {
    let vars = [("LP_TEST_UA".to_string(), "7".to_string())];
    let p = load_profile(&fixture("good-full.toml"), &vars).unwrap();
    assert_eq!(p.name, "full");
    assert_eq!(p.description.as_deref(), Some("uses every key"));
    assert_eq!(p.base_url, "http://127.0.0.1:8080", "trailing / is dropped");
    assert_eq!(p.load.stages.len(), 2);
    assert_eq!(p.load.stages[0].duration, Duration::from_secs(1));
    assert_eq!(p.load.stages[0].target, 2);
    assert_eq!(p.load.graceful_stop, Duration::from_secs(3));
    assert_eq!(p.defaults.timeout, Duration::from_secs(4));
    assert_eq!(p.defaults.headers, [("User-Agent".into(), "lp/7".into())]);
    assert_eq!(p.defaults.think_time.min, Duration::from_secs(1));
    assert_eq!(p.defaults.think_time.max, Duration::from_secs(3));

    let items = &p.requests[0];
    assert_eq!(items.name, "api.v2.items");
    assert_eq!((items.weight, items.method.as_str()), (3, "PUT"));
    assert_eq!(items.path, "/api/items?x=${literal}", "$$ escapes");
    assert_eq!(items.timeout, Some(Duration::from_millis(250)));
    let body = items.body.as_ref().unwrap();
    assert_eq!(body.content_type.as_deref(), Some("application/json"));
    let json: serde_json::Value = serde_json::from_slice(&body.bytes).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"name": "anon", "tags": ["a", 1, true], "nested": {"ratio": 0.5}})
    );
    assert_eq!(items.check.status.as_deref(), Some(&[200, 204][..]));
    assert_eq!(items.check.body_contains.as_deref(), Some("ok"));
    assert_eq!(items.check.max_duration, Some(Duration::from_millis(500)));

    let login = &p.requests[1];
    assert_eq!(login.name, "/login", "name defaults to the path");
    assert_eq!(login.weight, 1);
    let body = login.body.as_ref().unwrap();
    assert!(body.bytes.starts_with(b"{\"username\""));
    assert!(body.source.ends_with("body.json"));
    assert_eq!(login.check.status.as_deref(), Some(&[200][..]));

    let abs = &p.requests[2];
    assert_eq!(abs.method, "GET");
    assert_eq!(abs.path, "https://example.test:8443/x");
    assert_eq!(&abs.body.as_ref().unwrap().bytes[..], b"hi anon");

    let exprs: Vec<&str> = p.thresholds.iter().map(|t| t.expr.as_str()).collect();
    assert_eq!(
        exprs,
        [
            "api.v2.items.p99.9 <= 1s",
            "/login.error_rate < 1%",
            "429_rate < 0.5%",
            "rps >= 10"
        ],
        "file order is kept"
    );
    assert_eq!(p.thresholds[0].stat, Stat::Percentile { pct: 99.9 });
    assert_eq!(p.thresholds[0].request.as_deref(), Some("api.v2.items"));
    assert_eq!(p.thresholds[0].op, Op::Le);
    assert_eq!(p.thresholds[0].limit, 1000.0);
    assert_eq!(
        p.thresholds[2].stat,
        Stat::ClassRate {
            class: OutcomeClass::S429
        }
    );
    assert!(p.abort_on_fail);
}

#[test]
fn defaults_fill_in_and_name_comes_from_the_file() {
    let text = "base_url = \"http://h:1\"\n[load]\nstages = \"10s:1\"\n[[request]]\npath = \"/\"\n";
    let p = parse_profile(text, Path::new("some/dir/my-test.toml"), &[]).unwrap();
    assert_eq!(p.name, "my-test");
    assert_eq!(p.load.graceful_stop, DEFAULT_GRACEFUL_STOP);
    assert_eq!(p.defaults.timeout, DEFAULT_TIMEOUT);
    assert_eq!(p.requests[0].method, "GET");
    assert!(p.requests[0].body.is_none());
    assert!(p.requests[0].check.is_empty());
    assert!(p.thresholds.is_empty());
    assert!(!p.abort_on_fail);
    // Cookies on and 10 redirect hops, as browsers and Locust do.
    assert!(p.defaults.cookies);
    assert_eq!(p.defaults.follow_redirects, 10);
    assert_eq!(p.requests[0].cookies, None);
    assert_eq!(p.requests[0].follow_redirects, None);
}

#[test]
fn cookies_and_redirects_resolve_in_defaults_and_per_request() {
    let text = "base_url = \"http://h:1\"\n[load]\nstages = \"10s:1\"\n\
        [defaults]\ncookies = false\nfollow_redirects = 3\n\
        [[request]]\npath = \"/a\"\ncookies = true\nfollow_redirects = 0\n\
        [[request]]\npath = \"/b\"\n";
    let p = parse_profile(text, Path::new("c.toml"), &[]).unwrap();
    assert!(!p.defaults.cookies);
    assert_eq!(p.defaults.follow_redirects, 3);
    assert_eq!(p.requests[0].cookies, Some(true));
    assert_eq!(p.requests[0].follow_redirects, Some(0));
    let prepared = loadpilot::engine::request::Prepared::new(&p).unwrap();
    assert!(prepared.requests[0].cookies);
    assert_eq!(prepared.requests[0].follow_redirects, 0);
    assert!(!prepared.requests[1].cookies, "the default applies");
    assert_eq!(prepared.requests[1].follow_redirects, 3);
}

#[test]
fn later_cli_vars_win_and_environment_is_the_fallback() {
    let text = "base_url = \"http://${LP_TEST_HOST}:${LP_TEST_PORT_FROM_ENV}\"\n[load]\nstages = \"1s:1\"\n[[request]]\npath = \"/\"\n";
    // SAFETY: no other test reads or writes this variable.
    unsafe { std::env::set_var("LP_TEST_PORT_FROM_ENV", "81") };
    let vars = [
        ("LP_TEST_HOST".to_string(), "first".to_string()),
        ("LP_TEST_HOST".to_string(), "second".to_string()),
    ];
    let p = parse_profile(text, Path::new("v.toml"), &vars).unwrap();
    assert_eq!(p.base_url, "http://second:81");
}

#[test]
fn missing_file_names_the_file_without_a_position() {
    let err = load_profile(Path::new("profiles/no-such-profile.toml"), &[]).unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.starts_with("profiles/no-such-profile.toml: cannot read the profile"),
        "{shown}"
    );
    assert_eq!(err.line(), None);
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn bad_duration() {
    assert_error(
        "bad-duration.toml",
        7,
        16,
        "load.stages[1].duration",
        "bad duration \"10x\"",
    );
}

#[test]
fn unknown_key_lists_valid_keys_and_suggests_one() {
    assert_error(
        "unknown-key.toml",
        9,
        1,
        "defaults.thinktime",
        "unknown key \"thinktime\"; valid keys here: timeout, headers, think_time, cookies, follow_redirects\n  help: did you mean \"think_time\"?",
    );
}

#[test]
fn weight_zero() {
    assert_error(
        "weight-zero.toml",
        18,
        10,
        "request[2].weight",
        "weight must be at least 1 (a request with weight 0 would never run)",
    );
}

#[test]
fn missing_path_points_at_the_request() {
    assert_error(
        "missing-path.toml",
        11,
        1,
        "request[1].path",
        "missing required key \"path\"",
    );
}

#[test]
fn bad_threshold_value() {
    assert_error(
        "bad-threshold.toml",
        13,
        7,
        "thresholds.p99",
        "unknown duration unit \"parsec\"",
    );
}

#[test]
fn unknown_threshold_metric_lists_valid_ones() {
    assert_error(
        "unknown-metric.toml",
        12,
        1,
        "thresholds.latency",
        "unknown metric \"latency\"",
    );
    let err = load_profile(&fixture("unknown-metric.toml"), &[]).unwrap_err();
    assert!(err.message().contains("p95") && err.message().contains("error_rate"));
}

#[test]
fn syntax_error() {
    assert_error(
        "syntax-error.toml",
        6,
        17,
        "load.graceful_stop",
        "TOML syntax error",
    );
}

#[test]
fn unknown_request_in_threshold() {
    assert_error(
        "unknown-request.toml",
        13,
        1,
        "thresholds.\"pong.p99.9\"",
        "names request \"pong\", but no request has that name (requests: ping)",
    );
}

#[test]
fn body_and_json_both_set() {
    assert_error(
        "body-and-json.toml",
        12,
        8,
        "request[0].json",
        "\"body\" and \"json\" are both set",
    );
}

#[test]
fn missing_body_file() {
    assert_error(
        "missing-body-file.toml",
        11,
        13,
        "request[0].body_file",
        "body file \"assets/no-such-file.json\" not found",
    );
}

#[test]
fn bad_method() {
    assert_error(
        "bad-method.toml",
        9,
        10,
        "request[0].method",
        "unknown method \"FETCH\"; use one of GET, HEAD, POST",
    );
}

#[test]
fn duplicate_request_name() {
    assert_error(
        "duplicate-name.toml",
        12,
        8,
        "request[1].name",
        "request name \"ping\" is already used by request[0]",
    );
}

#[test]
fn wrong_type() {
    assert_error(
        "wrong-type.toml",
        9,
        10,
        "request[0].weight",
        "invalid type: string \"3\", expected a whole number",
    );
}

#[test]
fn unset_variable_without_default() {
    assert_error(
        "unset-var.toml",
        2,
        12,
        "base_url",
        "variable \"LOADPILOT_TEST_SURELY_UNSET_VAR\" is not set",
    );
}

/// Small mistakes written inline, each with where it must be reported.
#[test]
fn inline_mistakes_are_located() {
    const HEAD: &str = "base_url = \"http://h:1\"\n[load]\nstages = \"1s:1\"\n";
    let cases: &[(&str, &str, &str, &str)] = &[
        // (text after HEAD, line:column, field, message part)
        (
            "[[request]]\npath = \"ping\"\n",
            "5:8",
            "request[0].path",
            "did you mean \"/ping\"?",
        ),
        (
            "[[request]]\npath = \"/\"\ntimeout = 5\n",
            "6:11",
            "request[0].timeout",
            "quoted strings",
        ),
        (
            "[[request]]\npath = \"/\"\ntimeout = \"0s\"\n",
            "6:11",
            "request[0].timeout",
            "must be above 0",
        ),
        (
            "[[request]]\npath = \"/\"\ncheck = { status = [200, 99] }\n",
            "6:26",
            "request[0].check.status",
            "99 is not an HTTP status",
        ),
        (
            "[[request]]\npath = \"/\"\ncheck = { stauts = 200 }\n",
            "6:11",
            "request[0].check.stauts",
            "did you mean \"status\"?",
        ),
        (
            "[[request]]\npath = \"/\"\nheaders = { \"Bad Name\" = \"x\" }\n",
            "6:13",
            "request[0].headers.\"Bad Name\"",
            "not a valid header name",
        ),
        (
            "[defaults]\nthink_time = \"3s..1s\"\n[[request]]\npath = \"/\"\n",
            "5:14",
            "defaults.think_time",
            "minimum is above the maximum",
        ),
        (
            "[[request]]\npath = \"/\"\n[thresholds]\np95 = \"500ms\"\n",
            "7:7",
            "thresholds.p95",
            "no comparison",
        ),
        (
            "[[request]]\npath = \"/\"\n[thresholds]\nabort_on_fail = \"yes\"\n",
            "7:17",
            "thresholds.abort_on_fail",
            "expected a boolean",
        ),
        ("", "1:1", "request", "at least one [[request]]"),
        (
            "[defaults]\nfollow_redirects = -1\n[[request]]\npath = \"/\"\n",
            "5:20",
            "defaults.follow_redirects",
            "-1 redirects is outside 0 to 100",
        ),
        (
            "[[request]]\npath = \"/\"\nfollow_redirects = 101\n",
            "6:20",
            "request[0].follow_redirects",
            "101 redirects is outside 0 to 100",
        ),
        (
            "[[request]]\npath = \"/\"\ncookies = \"no\"\n",
            "6:11",
            "request[0].cookies",
            "expected a boolean",
        ),
    ];
    for (tail, at, field, says) in cases {
        let text = format!("{HEAD}{tail}");
        let err = parse_profile(&text, Path::new("x.toml"), &[]).unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.starts_with(&format!("x.toml:{at}: {field}: ")) && shown.contains(says),
            "for\n{text}\nexpected x.toml:{at}: {field}: …{says}…\ngot\n{shown}"
        );
    }
}

#[test]
fn stage_forms_and_errors() {
    let with_stages = |stages: &str| {
        let text = format!(
            "base_url = \"http://h:1\"\n[load]\nstages = {stages}\n[[request]]\npath = \"/\"\n"
        );
        parse_profile(&text, Path::new("s.toml"), &[])
    };
    let p = with_stages("\"30s:10,1m:50\"").unwrap();
    assert_eq!(p.load.stages[1].duration, Duration::from_secs(60));
    assert_eq!(p.load.stages[1].target, 50);
    let p = with_stages("[ { duration = \"1m30s\", target = 5 } ]").unwrap();
    assert_eq!(p.load.stages[0].duration, Duration::from_secs(90));

    let err = with_stages("\"30s:ten\"").unwrap_err().to_string();
    assert!(err.starts_with("s.toml:3:10: load.stages: "), "{err}");
    let err = with_stages("[]").unwrap_err().to_string();
    assert!(err.contains("stages list is empty"), "{err}");
    let err = with_stages("[ { duration = \"1s\", target = -1 } ]")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("s.toml:3:40: load.stages[0].target: "),
        "{err}"
    );
    let err = with_stages("[ { duration = \"1s\" } ]")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("load.stages[0].target: missing required key \"target\""),
        "{err}"
    );
    let err = with_stages("\"0s:5\"").unwrap_err().to_string();
    assert!(err.contains("add up to 0s"), "{err}");
}

#[test]
fn the_arrival_rate_executor_reads_rate_stages_and_its_pool() {
    use loadpilot::plan::LoadModel;
    let parse = |load: &str| {
        let text = format!(
            "name = \"r\"\nbase_url = \"http://127.0.0.1:8080\"\n\n[load]\n{load}\n\n[[request]]\npath = \"/ping\"\n"
        );
        parse_profile(&text, Path::new("r.toml"), &[])
    };
    let p =
        parse("executor = \"arrival-rate\"\nrate = 500\nduration = \"1m\"\nmax_vus = 50").unwrap();
    assert_eq!(p.load.model, LoadModel::Rate);
    assert_eq!(
        p.load.stages,
        loadpilot::plan::flat_stages(500, Duration::from_secs(60))
    );
    assert_eq!(p.load.max_vus, Some(50));
    // Rate targets may exceed the VU limit; they have their own.
    let p = parse("executor = \"ramping-arrival-rate\"\nstages = \"10s:200000\"").unwrap();
    assert_eq!(p.load.stages[0].target, 200_000);
    let cases = [
        (
            "rate = 5\nduration = \"1s\"",
            5,
            "load.rate",
            "is for the arrival-rate executor",
        ),
        (
            "executor = \"arrival-rate\"\nrate = 5",
            4,
            "load.duration",
            "needs a \"duration\"",
        ),
        (
            "executor = \"arrival-rate\"\nrate = 0\nduration = \"1s\"",
            6,
            "load.rate",
            "at least 1",
        ),
        (
            "executor = \"open\"\nstages = \"1s:1\"",
            5,
            "load.executor",
            "unknown executor \"open\"",
        ),
        (
            "stages = \"1s:1\"\nmax_vus = 3",
            6,
            "load.max_vus",
            "arrival-rate executor",
        ),
        (
            "executor = \"arrival-rate\"\nstages = \"1s:1\"\nmax_vus = 3\npre_allocated_vus = 9",
            8,
            "load.pre_allocated_vus",
            "more than max_vus = 3",
        ),
        (
            "executor = \"arrival-rate\"\nstages = \"1s:2000000\"",
            6,
            "load.stages",
            "above the rate limit",
        ),
    ];
    for (load, line, field, says) in cases {
        let err = parse(load).unwrap_err();
        let shown = err.to_string();
        assert!(shown.contains(says), "{load}: {shown}");
        assert_eq!(err.field(), Some(field), "{load}: {shown}");
        assert_eq!(err.line(), Some(line), "{load}: {shown}");
    }
}
