//! The demo target over real sockets: every test starts its own target on 127.0.0.1:0 with
//! [`spawn_local`] and talks HTTP to it. Every wait is bounded by [`TEST_DEADLINE`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{ACCEPT_RANGES, AUTHORIZATION, CONTENT_RANGE, CONTENT_TYPE, RANGE, RETRY_AFTER};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use loadpilot::demo_target::{LocalTarget, TargetConfig, spawn_local, stream_byte};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Upper bound for any single exchange in these tests.
const TEST_DEADLINE: Duration = Duration::from_secs(5);

/// A response read to the end.
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    fn header(&self, name: http::header::HeaderName) -> &str {
        self.headers
            .get(&name)
            .unwrap_or_else(|| panic!("missing header {name}"))
            .to_str()
            .unwrap()
    }
}

fn client() -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new()).build_http()
}

async fn start(config: TargetConfig) -> LocalTarget {
    spawn_local(config).await.expect("demo target starts")
}

async fn send(client: &Client<HttpConnector, Full<Bytes>>, request: Request<Full<Bytes>>) -> Reply {
    let exchange = async {
        let response = client.request(request).await.expect("request sent");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("body read").to_bytes();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    };
    tokio::time::timeout(TEST_DEADLINE, exchange)
        .await
        .expect("exchange within the test deadline")
}

async fn get(target: &LocalTarget, path: &str) -> Reply {
    get_with(target, path, &[]).await
}

async fn get_with(target: &LocalTarget, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = Request::get(target.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send(&client(), request.body(Full::default()).unwrap()).await
}

async fn post(
    target: &LocalTarget,
    path: &str,
    content_type: &str,
    body: impl Into<Bytes>,
) -> Reply {
    let request = Request::post(target.url(path))
        .header(CONTENT_TYPE, content_type)
        .body(Full::new(body.into()))
        .unwrap();
    send(&client(), request).await
}

/// Fires `n` GETs at once and returns their statuses.
async fn concurrent_statuses(target: &LocalTarget, path: &str, n: usize) -> Vec<StatusCode> {
    let client = client();
    let requests = (0..n).map(|_| {
        let request = Request::get(target.url(path))
            .body(Full::default())
            .unwrap();
        let client = client.clone();
        tokio::spawn(async move { send(&client, request).await.status })
    });
    let mut statuses = Vec::with_capacity(n);
    for handle in requests.collect::<Vec<_>>() {
        statuses.push(handle.await.unwrap());
    }
    statuses
}

#[tokio::test]
async fn ping_items_and_health_have_their_shapes() {
    let target = start(TargetConfig::default()).await;

    let ping = get(&target, "/ping").await;
    assert_eq!(ping.status, StatusCode::OK);
    assert_eq!(&ping.body[..], b"pong");

    let items = get(&target, "/api/items").await;
    assert_eq!(items.status, StatusCode::OK);
    let items = items.json();
    let list = items["items"].as_array().expect("items array");
    assert!(!list.is_empty());
    assert!(list[0]["id"].is_number() && list[0]["name"].is_string());

    let health = get(&target, "/health").await;
    assert_eq!(health.status, StatusCode::OK);
    let health = health.json();
    assert_eq!(health["status"], "ok");
    assert!(health["uptime_s"].is_number());
    assert!(health["in_flight"].is_u64());
    assert!(health["queue_depth"].is_u64());
    assert!(health["memory"]["rss_bytes"].is_u64());
}

#[tokio::test]
async fn unknown_paths_404_and_wrong_methods_405() {
    let target = start(TargetConfig::default()).await;
    assert_eq!(get(&target, "/nope").await.status, StatusCode::NOT_FOUND);
    let wrong = get(&target, "/login").await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong.header(http::header::ALLOW), "POST");
}

#[tokio::test]
async fn limited_answers_429_with_retry_after_under_a_burst() {
    let target = start(TargetConfig {
        rate_limit: 5,
        ..TargetConfig::default()
    })
    .await;
    let mut ok = 0;
    let mut limited = Vec::new();
    for _ in 0..20 {
        let reply = get(&target, "/limited").await;
        match reply.status {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => limited.push(reply),
            other => panic!("unexpected status {other}"),
        }
    }
    // The bucket holds 5 and refills 5/s; the burst takes well under a second (allow for a
    // slow machine: up to 2 s of refill).
    assert!((5..=15).contains(&ok), "{ok} admitted");
    assert_eq!(ok + limited.len(), 20);
    for reply in &limited {
        let secs: u64 = reply
            .header(RETRY_AFTER)
            .parse()
            .expect("Retry-After in seconds");
        assert!((1..=2).contains(&secs), "Retry-After {secs}");
    }
}

#[tokio::test]
async fn flaky_follows_the_error_rate() {
    let always = start(TargetConfig {
        error_rate: 1.0,
        ..TargetConfig::default()
    })
    .await;
    let statuses = concurrent_statuses(&always, "/flaky", 20).await;
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::INTERNAL_SERVER_ERROR
                || *s == StatusCode::SERVICE_UNAVAILABLE),
        "{statuses:?}"
    );

    let never = start(TargetConfig {
        error_rate: 0.0,
        ..TargetConfig::default()
    })
    .await;
    let statuses = concurrent_statuses(&never, "/flaky", 20).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn stream_serves_ranges_exactly() {
    let target = start(TargetConfig::default()).await;
    let expected = |start: u64, end_inclusive: u64| -> Vec<u8> {
        (start..=end_inclusive)
            .map(|i| stream_byte("movie", i))
            .collect()
    };

    let full = get(&target, "/stream/movie?size=200000").await;
    assert_eq!(full.status, StatusCode::OK);
    assert_eq!(full.header(ACCEPT_RANGES), "bytes");
    assert_eq!(full.body.len(), 200_000);
    assert_eq!(&full.body[..], &expected(0, 199_999)[..]);

    let middle = get_with(
        &target,
        "/stream/movie?size=200000",
        &[("range", "bytes=70000-70099")],
    )
    .await;
    assert_eq!(middle.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(middle.header(CONTENT_RANGE), "bytes 70000-70099/200000");
    assert_eq!(&middle.body[..], &expected(70_000, 70_099)[..]);

    let open_ended = get_with(
        &target,
        "/stream/movie?size=1000",
        &[("range", "bytes=990-")],
    )
    .await;
    assert_eq!(open_ended.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(open_ended.header(CONTENT_RANGE), "bytes 990-999/1000");
    assert_eq!(&open_ended.body[..], &expected(990, 999)[..]);

    let suffix = get_with(&target, "/stream/movie?size=1000", &[("range", "bytes=-5")]).await;
    assert_eq!(suffix.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(suffix.header(CONTENT_RANGE), "bytes 995-999/1000");
    assert_eq!(&suffix.body[..], &expected(995, 999)[..]);

    let beyond = get_with(
        &target,
        "/stream/movie?size=1000",
        &[(RANGE.as_str(), "bytes=1000-")],
    )
    .await;
    assert_eq!(beyond.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(beyond.header(CONTENT_RANGE), "bytes */1000");
}

#[tokio::test]
async fn stream_default_size_is_announced_without_reading_it_all() {
    let target = start(TargetConfig::default()).await;
    let request = Request::get(target.url("/stream/big"))
        .body(Full::default())
        .unwrap();
    let response = tokio::time::timeout(TEST_DEADLINE, client().request(request))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let length = response.headers()[http::header::CONTENT_LENGTH]
        .to_str()
        .unwrap();
    assert_eq!(
        length,
        loadpilot::demo_target::DEFAULT_STREAM_BYTES.to_string()
    );
}

/// A `multipart/form-data` body with one text field and one file part of `file_len` bytes.
fn multipart_body(boundary: &str, file_len: usize) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"data.bin\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(std::iter::repeat_n(b'x', file_len));
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

#[tokio::test]
async fn upload_reports_part_sizes() {
    let target = start(TargetConfig::default()).await;
    let boundary = "loadpilot-test-boundary";
    let reply = post(
        &target,
        "/upload",
        &format!("multipart/form-data; boundary={boundary}"),
        multipart_body(boundary, 102_400),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let summary = reply.json();
    let parts = summary["parts"].as_array().expect("parts");
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0]["field"], "note");
    assert_eq!(parts[0]["size"], 5);
    assert_eq!(parts[1]["field"], "file");
    assert_eq!(parts[1]["filename"], "data.bin");
    assert_eq!(parts[1]["size"], 102_400);
    assert_eq!(summary["total_bytes"], 102_405);
}

#[tokio::test]
async fn upload_rejects_bad_bodies_with_400() {
    let target = start(TargetConfig::default()).await;
    let not_multipart = post(&target, "/upload", "text/plain", "hello").await;
    assert_eq!(not_multipart.status, StatusCode::BAD_REQUEST);
    assert!(not_multipart.json()["error"].is_string());

    let truncated = post(
        &target,
        "/upload",
        "multipart/form-data; boundary=b",
        "--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nno end",
    )
    .await;
    assert_eq!(truncated.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn login_token_is_accepted_by_me_and_others_are_not() {
    let target = start(TargetConfig::default()).await;
    let login = post(
        &target,
        "/login",
        "application/json",
        r#"{"username": "ada", "password": "secret"}"#,
    )
    .await;
    assert_eq!(login.status, StatusCode::OK);
    let login = login.json();
    assert_eq!(login["user"], "ada");
    let token = login["token"].as_str().expect("token");
    assert!(token.len() >= 16 && token.chars().all(|c| c.is_ascii_hexdigit()));

    let me = get_with(
        &target,
        "/api/me",
        &[(AUTHORIZATION.as_str(), &format!("Bearer {token}"))],
    )
    .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["user"], "ada");

    let forged = get_with(
        &target,
        "/api/me",
        &[("authorization", "Bearer 0123456789abcdef")],
    )
    .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        get(&target, "/api/me").await.status,
        StatusCode::UNAUTHORIZED
    );

    let anonymous = post(&target, "/login", "application/json", "").await;
    assert_eq!(anonymous.status, StatusCode::OK);
    assert!(anonymous.json()["token"].is_string());
    let garbage = post(&target, "/login", "application/json", "{not json").await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn jobs_move_from_queued_to_done() {
    let target = start(TargetConfig {
        job_duration: Duration::from_millis(300),
        ..TargetConfig::default()
    })
    .await;
    let submitted = post(&target, "/jobs", "application/json", "{}").await;
    assert_eq!(submitted.status, StatusCode::ACCEPTED);
    let submitted = submitted.json();
    assert_eq!(submitted["status"], "queued");
    let id = submitted["id"].as_str().expect("id").to_owned();

    let deadline = Instant::now() + Duration::from_secs(2);
    let mut seen = Vec::new();
    loop {
        let reply = get(&target, &format!("/jobs/{id}")).await;
        assert_eq!(reply.status, StatusCode::OK);
        let job = reply.json();
        assert_eq!(job["id"], id.as_str());
        let status = job["status"].as_str().unwrap().to_owned();
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        if status == "done" || status == "failed" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "job still {status} after 2 s: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let order = ["queued", "running", "done", "failed"];
    let ranks: Vec<_> = seen
        .iter()
        .map(|s| order.iter().position(|o| o == s).unwrap())
        .collect();
    assert!(
        ranks.windows(2).all(|w| w[0] < w[1]),
        "statuses went backwards: {seen:?}"
    );

    assert_eq!(
        get(&target, "/jobs/unknown").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn metrics_count_requests_by_status() {
    let target = start(TargetConfig::default()).await;
    for _ in 0..3 {
        assert_eq!(get(&target, "/ping").await.status, StatusCode::OK);
    }
    assert_eq!(
        get(&target, "/status/418").await.status,
        StatusCode::IM_A_TEAPOT
    );
    let metrics = get(&target, "/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    let text = String::from_utf8(metrics.body.to_vec()).unwrap();
    let samples: HashMap<&str, f64> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .map(|(name, value)| (name, value.parse().unwrap()))
        .collect();
    assert_eq!(
        samples[r#"loadpilot_target_requests_total{status="200"}"#],
        3.0
    );
    assert_eq!(
        samples[r#"loadpilot_target_requests_total{status="418"}"#],
        1.0
    );
    assert_eq!(samples["loadpilot_target_in_flight"], 0.0);
    assert_eq!(samples["loadpilot_target_queue_depth"], 0.0);
    assert!(samples["process_resident_memory_bytes"] > 0.0);
    assert!(samples.contains_key("process_cpu_seconds_total"));
    for name in [
        "loadpilot_target_requests_total",
        "loadpilot_target_in_flight",
        "process_resident_memory_bytes",
    ] {
        assert!(
            text.contains(&format!("# HELP {name} ")),
            "no HELP for {name}"
        );
        assert!(
            text.contains(&format!("# TYPE {name} ")),
            "no TYPE for {name}"
        );
    }
}

#[tokio::test]
async fn delay_holds_and_helpers_answer() {
    let target = start(TargetConfig::default()).await;
    let started = Instant::now();
    let delayed = get(&target, "/delay/200").await;
    assert_eq!(delayed.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(200));

    assert_eq!(
        get(&target, "/status/503").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        get(&target, "/status/204").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        get(&target, "/status/abc").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(get(&target, "/bytes/12345").await.body.len(), 12_345);

    let echo = post(&target, "/echo?x=1", "text/plain", "four").await;
    assert_eq!(echo.status, StatusCode::OK);
    let echo = echo.json();
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["path"], "/echo");
    assert_eq!(echo["query"], "x=1");
    assert_eq!(echo["headers"]["content-type"], "text/plain");
    assert_eq!(echo["body_bytes"], 4);
}

#[tokio::test]
async fn slow_takes_at_least_200ms() {
    let target = start(TargetConfig {
        slow_timeout_share: 0.0,
        ..TargetConfig::default()
    })
    .await;
    let started = Instant::now();
    let slow = get(&target, "/slow").await;
    assert_eq!(slow.status, StatusCode::OK);
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
}

#[tokio::test]
async fn full_queue_answers_503_while_health_stays_up() {
    let target = Arc::new(
        start(TargetConfig {
            workers: 1,
            queue_limit: 1,
            ..TargetConfig::default()
        })
        .await,
    );
    let burst = tokio::spawn({
        let target = Arc::clone(&target);
        async move { concurrent_statuses(&target, "/delay/300", 6).await }
    });
    // While the single worker is busy, /health still answers at once and shows the pressure.
    let deadline = Instant::now() + Duration::from_millis(500);
    let mut busy = false;
    while !busy && Instant::now() < deadline {
        let health = get(&target, "/health").await;
        assert_eq!(health.status, StatusCode::OK);
        busy = health.json()["in_flight"] == 1;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(busy, "/health never showed the busy worker");

    let statuses = burst.await.unwrap();
    let rejected = statuses
        .iter()
        .filter(|s| **s == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    // One runs, one waits, the rest are turned away.
    assert_eq!(ok + rejected, 6, "{statuses:?}");
    assert!(ok >= 2 && rejected >= 3, "{statuses:?}");
}

#[tokio::test]
async fn close_drops_the_connection_without_a_response() {
    let target = start(TargetConfig::default()).await;
    let mut stream = TcpStream::connect(target.addr).await.unwrap();
    stream
        .write_all(b"GET /close HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut received = Vec::new();
    let read = tokio::time::timeout(TEST_DEADLINE, stream.read_to_end(&mut received)).await;
    // A clean EOF or a reset are both fine; a response is not.
    let _eof_or_reset = read.expect("server closes promptly");
    assert!(
        received.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&received)
    );
}

#[tokio::test]
async fn http2_prior_knowledge_is_served_on_the_same_port() {
    let target = start(TargetConfig::default()).await;
    let stream = TcpStream::connect(target.addr).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    let driver = tokio::spawn(connection);
    let request = Request::get(target.url("/ping"))
        .body(Full::<Bytes>::default())
        .unwrap();
    let response = tokio::time::timeout(TEST_DEADLINE, sender.send_request(request))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(response.version(), http::Version::HTTP_2);
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"pong");
    driver.abort();
}

#[tokio::test]
async fn stop_lets_in_flight_requests_finish() {
    let target = start(TargetConfig::default()).await;
    let url = target.url("/delay/300");
    let in_flight = tokio::spawn(async move {
        send(&client(), Request::get(url).body(Full::default()).unwrap())
            .await
            .status
    });
    // An idle keep-alive connection must not hold shutdown up.
    let mut idle = TcpStream::connect(target.addr).await.unwrap();
    idle.write_all(b"GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0_u8; 256];
    let n = tokio::time::timeout(TEST_DEADLINE, idle.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));

    tokio::time::sleep(Duration::from_millis(100)).await;
    let stopping = Instant::now();
    tokio::time::timeout(TEST_DEADLINE, target.stop())
        .await
        .expect("stop within the deadline")
        .expect("clean stop");
    assert!(
        stopping.elapsed() < Duration::from_secs(2),
        "stop waited {:?}",
        stopping.elapsed()
    );
    assert_eq!(in_flight.await.unwrap(), StatusCode::OK);
}

mod tls {
    //! `--tls`: a client that accepts any certificate (the target's is self-signed).

    use super::*;
    use rustls::pki_types::ServerName;
    use tokio_rustls::TlsConnector;

    /// A TLS connection with loadpilot's own `--insecure` client configuration.
    async fn connect(
        target: &LocalTarget,
        alpn: &[&[u8]],
    ) -> tokio_rustls::client::TlsStream<TcpStream> {
        let mut config = loadpilot::engine::client::tls_config(false, true).unwrap();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        let tcp = TcpStream::connect(target.addr).await.unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        tokio::time::timeout(
            TEST_DEADLINE,
            TlsConnector::from(Arc::new(config)).connect(name, tcp),
        )
        .await
        .expect("handshake within the deadline")
        .expect("TLS handshake")
    }

    #[tokio::test]
    async fn tls_serves_https_over_http1_and_h2() {
        let target = start(TargetConfig {
            tls: true,
            ..TargetConfig::default()
        })
        .await;
        assert!(target.url("/ping").starts_with("https://127.0.0.1:"));

        let stream = connect(&target, &[b"http/1.1"]).await;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        let driver = tokio::spawn(connection);
        let request = Request::get("/ping")
            .header(http::header::HOST, "localhost")
            .body(Full::<Bytes>::default())
            .unwrap();
        let response = tokio::time::timeout(TEST_DEADLINE, sender.send_request(request))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            &response.into_body().collect().await.unwrap().to_bytes()[..],
            b"pong"
        );
        driver.abort();

        let stream = connect(&target, &[b"h2", b"http/1.1"]).await;
        assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        let (mut sender, connection) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
                .await
                .unwrap();
        let driver = tokio::spawn(connection);
        let request = Request::builder()
            .method(Method::GET)
            .uri(target.url("/api/items"))
            .body(Full::<Bytes>::default())
            .unwrap();
        let response = tokio::time::timeout(TEST_DEADLINE, sender.send_request(request))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(response.version(), http::Version::HTTP_2);
        assert_eq!(response.status(), StatusCode::OK);
        driver.abort();
    }
}
