//! `--metrics-listen`: the real binary serves its live run to a scraper; each
//! scrape is parsed with a real exposition-format parser (`prometheus-parse`).

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `GET /metrics`: the Content-Type and the parsed scrape.
async fn scrape(addr: &str) -> (String, prometheus_parse::Scrape) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("a response");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_string)
        })
        .unwrap_or_default();
    assert!(
        body.trim_end().ends_with("# EOF"),
        "OpenMetrics ends with # EOF"
    );
    let lines = body.lines().map(|l| Ok(l.to_string()));
    (
        content_type,
        prometheus_parse::Scrape::parse(lines).expect("a valid exposition"),
    )
}

/// The value of `metric` with the given labels.
fn value(scrape: &prometheus_parse::Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    let sample = scrape
        .samples
        .iter()
        .find(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .unwrap_or_else(|| panic!("no {metric}{labels:?} in {:#?}", scrape.samples));
    match sample.value {
        prometheus_parse::Value::Counter(v)
        | prometheus_parse::Value::Gauge(v)
        | prometheus_parse::Value::Untyped(v) => v,
        ref other => panic!("{metric}: unexpected {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_run_is_scraped_and_parsed() {
    let t = target().await;
    let mut cmd = loadpilot();
    cmd.args([
        "run",
        &t.url("/ping"),
        "-c",
        "2",
        "-z",
        "4s",
        "--headless",
        "--no-snapshot",
    ])
    .args(["--threshold", "p95 < 5s", "--metrics-listen", "127.0.0.1:0"])
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("metrics: http://") {
                let _ = addr_tx.send(rest.trim_end_matches("/metrics").to_string());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let addr = addr_rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the metrics address is printed");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (content_type, first) = scrape(&addr).await;
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    assert_eq!(value(&first, "loadpilot_vus", &[]), 2.0);
    assert_eq!(
        value(&first, "loadpilot_load_target", &[("model", "vus")]),
        2.0
    );
    let sent = value(&first, "loadpilot_requests_total", &[("request", "/ping")]);
    assert!(sent > 0.0);
    let ok = value(&first, "loadpilot_outcomes_total", &[("class", "ok")]);
    let errors = value(&first, "loadpilot_errors_total", &[("request", "/ping")]);
    assert_eq!(ok + errors, sent, "ok and errors add up to the requests");
    let p95 = value(
        &first,
        "loadpilot_latency_seconds",
        &[("request", "overall"), ("quantile", "0.95")],
    );
    assert!(p95 > 0.0 && p95 < 5.0, "{p95}");
    assert_eq!(
        value(
            &first,
            "loadpilot_threshold_passing",
            &[("threshold", "p95 < 5s")]
        ),
        1.0
    );
    assert_eq!(value(&first, "loadpilot_dropped_arrivals_total", &[]), 0.0);
    assert!(value(&first, "loadpilot_loader_resident_memory_bytes", &[]) > 0.0);
    let _ = value(&first, "loadpilot_loader_cpu_percent", &[]);
    // Live: a later scrape counts more requests.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (_, second) = scrape(&addr).await;
    assert!(value(&second, "loadpilot_requests_total", &[("request", "/ping")]) > sent);
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    let stderr = reader.join().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
}

#[test]
fn a_busy_address_is_a_usage_error_before_the_run() {
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = held.local_addr().unwrap().to_string();
    let out = loadpilot()
        .args([
            "run",
            "http://127.0.0.1:9/",
            "-c",
            "1",
            "-z",
            "1s",
            "--headless",
        ])
        .args(["--no-snapshot", "--metrics-listen", &addr])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("--metrics-listen {addr}: cannot listen there")),
        "{stderr}"
    );
}
