//! `loadpilot import`: a browser recording (HAR) and a curl command line become
//! profiles that validate and run against the real demo target.

mod common;

use std::path::Path;

use common::*;

const HAR: &str = "tests/fixtures/import/shop.har";

/// Runs `profile` headless for a second against `base` and returns the summary JSON.
async fn run_imported(profile: &Path, base: &str) -> serde_json::Value {
    let mut run = loadpilot();
    run.arg("run").arg(profile);
    run.args(["-e", &format!("BASE_URL={base}")]);
    run.args([
        "-e",
        "AUTHORIZATION=Bearer test",
        "-e",
        "ACCESS_TOKEN=t0ken-value",
    ]);
    run.args(["--vus", "2", "--duration", "1s", "--no-snapshot"]);
    run.args(["--summary-json", "-"]);
    let out = output(run).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // `--summary-json -`: stdout is the JSON alone.
    serde_json::from_slice(&out.stdout).expect("stdout is the summary JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_har_recording_becomes_a_weighted_profile_without_secrets_that_runs() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("shop.toml");
    let mut import = loadpilot();
    import.args(["import", HAR, "-o"]).arg(&profile);
    let out = output(import).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let notes = text(&out.stderr);
    assert!(
        notes.contains("dropped 3 calls to static assets"),
        "{notes}"
    );
    assert!(
        notes.contains("dropped 1 call to hosts other than http://127.0.0.1:8080"),
        "{notes}"
    );
    assert!(
        notes.contains("-e AUTHORIZATION=… -e ACCESS_TOKEN=…"),
        "{notes}"
    );

    let toml = std::fs::read_to_string(&profile).unwrap();
    for secret in ["s3cr3t-session", "eyJhbGci", "tok-123456"] {
        assert!(!toml.contains(secret), "{secret} leaked into\n{toml}");
    }
    for dropped in [
        "app.js",
        "site.css",
        "fonts.example.com",
        "analytics",
        "Cookie",
        "Connection",
        "Accept-Encoding",
    ] {
        assert!(!toml.contains(dropped), "{dropped} kept in\n{toml}");
    }
    assert!(
        toml.contains("name = \"api/items\"\npath = \"/api/items\"\nweight = 3"),
        "{toml}"
    );
    assert!(
        toml.contains("\"Authorization\" = \"${AUTHORIZATION}\""),
        "{toml}"
    );
    assert!(
        toml.contains("path = \"/api/me?access_token=${ACCESS_TOKEN}\""),
        "{toml}"
    );
    // The recording's pauses: 1 s, 2 s, 2.5 s, 1.5 s, 2 s, 0.5 s... the middle half.
    assert!(toml.contains("think_time = \"1500ms..2500ms\""), "{toml}");
    // A `$` in a recorded body stays a `$` (not a variable).
    assert!(toml.contains(r#""price":"$$5""#), "{toml}");

    let mut validate = loadpilot();
    validate.arg("validate").arg(&profile);
    validate.env("AUTHORIZATION", "x").env("ACCESS_TOKEN", "y");
    let out = output(validate).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        text(&out.stdout) + &text(&out.stderr)
    );

    let t = target().await;
    let summary = run_imported(&profile, &t.url("")).await;
    let names: Vec<&str> = summary["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["root", "login", "api/items", "api/me", "jobs"]);
    assert!(
        summary["overall"]["count"].as_u64().unwrap() > 0,
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn include_static_and_all_hosts_keep_what_is_dropped_by_default() {
    let mut import = loadpilot();
    import.args([
        "import",
        HAR,
        "--include-static",
        "--all-hosts",
        "--name",
        "everything",
    ]);
    let out = output(import).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let toml = text(&out.stdout);
    assert!(toml.contains("name = \"everything\""), "{toml}");
    assert!(toml.contains("path = \"/static/app.js\""), "{toml}");
    assert!(
        toml.contains("path = \"https://fonts.example.com/css2?family=Inter\""),
        "{toml}"
    );
    assert!(
        toml.contains("path = \"https://analytics.example.net/collect?v=2\""),
        "{toml}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_curl_command_becomes_a_request_that_runs() {
    let t = target().await;
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("login.toml");
    let curl = format!(
        r#"curl '{}' -H 'Content-Type: application/json' -H 'Authorization: Bearer abc' -b 'sid=1' --data-raw '{{"username":"demo","password":"demo"}}' --compressed"#,
        t.url("/login")
    );
    let mut import = loadpilot();
    import.args(["import", "--curl", &curl, "-o"]).arg(&profile);
    let out = output(import).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let toml = std::fs::read_to_string(&profile).unwrap();
    assert!(toml.contains("method = \"POST\""), "{toml}");
    assert!(!toml.contains("abc") && !toml.contains("sid"), "{toml}");

    let summary = run_imported(&profile, &t.url("")).await;
    assert_eq!(summary["requests"][0]["name"], "login");
    assert!(
        summary["overall"]["count"].as_u64().unwrap() > 0,
        "{summary}"
    );
}

#[test]
fn a_file_that_is_not_a_har_is_a_usage_error_naming_it() {
    let out = loadpilot()
        .args(["import", "tests/fixtures/import/not-a-har.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("tests/fixtures/import/not-a-har.json: not a HAR file"),
        "{stderr}"
    );
    let out = loadpilot()
        .args([
            "import",
            "--curl",
            "curl --proxy http://p:1 http://127.0.0.1:1/",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("the option --proxy is not supported"));
}
