//! oha / hey / curl-style flags on the real binary over real sockets: what each
//! puts on the wire (seen by a recording server, or counted by the demo target),
//! oha's defaults for a bare URL, `run` being optional, and the scheme hint.

mod common;

use std::process::Stdio;

use common::recorder::Recorder;
use common::*;

/// `ARGS --headless --summary-json -` against `url`; the summary JSON and stderr.
async fn run_json(args: &[&str]) -> (serde_json::Value, String, Option<i32>) {
    let mut cmd = loadpilot();
    cmd.args(args).args(["--headless", "--summary-json", "-"]);
    let out = output(cmd).await;
    let stderr = text(&out.stderr);
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}\n{stderr}", text(&out.stdout)));
    (json, stderr, out.status.code())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn method_headers_body_file_and_n_shape_every_request() {
    let server = Recorder::start().await;
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(&body, br#"{"sku":"A-1","qty":2}"#).unwrap();
    let snap = dir.path().join("run.json");
    let url = format!("{}/api/orders", server.url);
    let data = format!("@{}", body.display());
    let (json, stderr, code) = run_json(&[
        "run",
        &url,
        "-m",
        "put",
        "-H",
        "X-Trace: abc",
        "-H",
        "Authorization: Bearer sekrit-token-4242",
        "-d",
        &data,
        "-c",
        "3",
        "-n",
        "10",
        "--out",
        snap.to_str().unwrap(),
    ])
    .await;
    assert_eq!(code, Some(0), "{stderr}");
    let seen = server.requests();
    // -n 10 over 3 VUs: exactly 10 (4 + 3 + 3), then the run ends on its own.
    assert_eq!(seen.len(), 10, "{stderr}");
    assert_eq!(json["overall"]["count"], 10);
    assert!(json["duration_s"].as_f64().unwrap() < 30.0, "{json}");
    for r in &seen {
        assert_eq!(r.method, "PUT");
        assert_eq!(r.path, "/api/orders");
        assert_eq!(r.headers["x-trace"], "abc");
        assert_eq!(r.headers["authorization"], "Bearer sekrit-token-4242");
        assert_eq!(&r.body[..], br#"{"sku":"A-1","qty":2}"#);
    }
    // The dashboard header and summary name the method.
    assert!(
        json["target"].as_str().unwrap().starts_with("PUT http://"),
        "{json}"
    );
    // The secret from -H reaches neither the snapshot nor the outputs.
    let snapshot = std::fs::read_to_string(&snap).unwrap();
    assert!(!snapshot.contains("sekrit-token-4242"));
    assert!(!json.to_string().contains("sekrit-token-4242"));
    assert!(!stderr.contains("sekrit-token-4242"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_from_stdin_sets_the_content_type_and_basic_auth_is_redacted() {
    let server = Recorder::start().await;
    let dir = tempfile::tempdir().unwrap();
    let stdin = dir.path().join("stdin.json");
    std::fs::write(&stdin, br#"{"q":1}"#).unwrap();
    let snap = dir.path().join("run.json");
    let mut cmd = loadpilot();
    cmd.arg(format!("{}/search", server.url)).args([
        "--json",
        "@-",
        "-a",
        "alice:pa55word-xyz",
        "-c",
        "2",
        "-n",
        "4",
        "--headless",
        "--out",
    ]);
    cmd.arg(&snap);
    cmd.stdin(Stdio::from(std::fs::File::open(&stdin).unwrap()));
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let seen = server.requests();
    assert_eq!(seen.len(), 4);
    use base64::Engine;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("alice:pa55word-xyz")
    );
    for r in &seen {
        // A body without -m is a POST, as curl sends it.
        assert_eq!(r.method, "POST");
        assert_eq!(r.headers["content-type"], "application/json");
        assert_eq!(r.headers["authorization"], basic.as_str());
        assert_eq!(&r.body[..], br#"{"q":1}"#);
    }
    let snapshot = std::fs::read_to_string(&snap).unwrap();
    let encoded = basic.trim_start_matches("Basic ");
    assert!(!snapshot.contains(encoded) && !snapshot.contains("pa55word-xyz"));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains(encoded) && !all.contains("pa55word-xyz"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disable_keepalive_opens_a_connection_per_request() {
    let kept = Recorder::start().await;
    let (_, stderr, code) = run_json(&[&kept.url, "-c", "1", "-n", "5", "--no-snapshot"]).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(kept.requests().len(), 5);
    assert_eq!(kept.connections(), 1, "keep-alive reuses one connection");

    let closed = Recorder::start().await;
    let (json, stderr, code) = run_json(&[
        &closed.url,
        "-c",
        "1",
        "-n",
        "5",
        "--disable-keepalive",
        "--no-snapshot",
    ])
    .await;
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(json["overall"]["errors"], 0, "{json}");
    assert_eq!(closed.requests().len(), 5);
    assert_eq!(closed.connections(), 5);
    assert!(
        closed
            .requests()
            .iter()
            .all(|r| r.headers["connection"] == "close")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_timeout_bounds_a_tls_handshake_that_never_answers() {
    // Accepts TCP and then says nothing: the TLS handshake hangs.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let url = format!("https://{addr}/");
    let (json, stderr, code) = run_json(&[
        &url,
        "-c",
        "1",
        "-n",
        "2",
        "--connect-timeout",
        "200ms",
        "--timeout",
        "30s",
        "--no-snapshot",
    ])
    .await;
    silent.abort();
    assert_eq!(code, Some(0), "{stderr}");
    let classes = &json["error_classes"];
    assert_eq!(classes[0]["class"], "timeout", "{json}");
    assert_eq!(classes[0]["count"], 2);
    let message = classes[0]["last_message"].as_str().unwrap();
    assert!(message.contains("connect timeout of 200ms"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_url_needs_no_run_and_q_z_concurrency_are_aliases() {
    let t = target().await;
    // `-q` is the open model's --rate, `-z` the duration; no `run`.
    let (json, stderr, code) =
        run_json(&[&t.url("/ping"), "-q", "20", "-z", "1s", "--no-snapshot"]).await;
    assert_eq!(code, Some(0), "{stderr}");
    let arrivals = json["arrivals"]["arrivals"].as_u64().unwrap();
    assert!((15..=25).contains(&arrivals), "{json}");
    // `--concurrency` is --vus; -n alone takes oha's 50 VUs and says so.
    let (json, stderr, code) = run_json(&[
        "run",
        &t.url("/ping"),
        "--concurrency",
        "2",
        "-z",
        "1s",
        "--no-snapshot",
    ])
    .await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(json["overall"]["count"].as_u64().unwrap() > 0);
    assert!(!stderr.contains("no load flags"), "{stderr}");
    let (json, stderr, code) = run_json(&[&t.url("/ping"), "-n", "120", "--no-snapshot"]).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(json["overall"]["count"], 120);
    assert!(
        stderr.contains("no load flags given: running 50 VUs (-c) as oha does"),
        "{stderr}"
    );
}

#[test]
fn a_target_without_a_scheme_gets_a_did_you_mean() {
    for args in [
        &["run", "127.0.0.1:9/api", "--headless"][..],
        &["127.0.0.1:9/api", "-c", "2"][..],
    ] {
        let out = loadpilot().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("did you mean http://127.0.0.1:9/api?"),
            "{stderr}"
        );
    }
}

#[test]
fn method_and_body_flags_refuse_a_profile_with_many_requests() {
    let out = loadpilot()
        .args([
            "run",
            "profiles/demo.toml",
            "-m",
            "POST",
            "-e",
            "BASE_URL=http://127.0.0.1:9",
            "--headless",
            "--no-snapshot",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("-m/--method sets the method or body of a one-request run"),
        "{stderr}"
    );
}
