//! Hostile servers: the demo target's `--fault` modes (and `--tls` without
//! `--insecure`) on loopback, each run headless through `Session`. Every mode must
//! give the class the README's error-class table documents, count the bytes that
//! arrived, keep the loader's memory under a fixed bound, and end in time.

mod common;

use std::time::Duration;

use common::*;
use loadpilot::demo_target::TargetConfig;
use loadpilot::demo_target::fault::Fault;
use loadpilot::profile::Profile;
use loadpilot::session::{RunOutput, Session};

/// Whole-process peak RSS allowed (the loader and the in-process target together).
/// A run against any mode needs a few tens of MB; an unbounded body buffer or a
/// histogram per byte would blow through this.
const MAX_PEAK_RSS_BYTES: u64 = 256 << 20;

/// Runs `profile` headless; the run must end well within its time (no hang).
async fn run(profile: Profile, insecure: bool) -> RunOutput {
    let mut o = opts();
    o.insecure = insecure;
    let session = Session::start(profile, &o, None).expect("session starts");
    let out = tokio::time::timeout(Duration::from_secs(15), session.wait())
        .await
        .expect("a hostile server must not hang the run")
        .expect("run ok");
    assert_peak_rss_bounded();
    out
}

/// A run of `vus` VUs for `ms` against a target in `fault` mode.
async fn against(fault: Fault, vus: u32, ms: u64, timeout_ms: u64) -> RunOutput {
    let t = target_with(TargetConfig {
        fault: Some(fault),
        ..TargetConfig::default()
    })
    .await;
    let mut p = profile(
        &t.url(""),
        &[("/hostile", 1)],
        flat(vus, Duration::from_millis(ms)),
    );
    p.defaults.timeout = Duration::from_millis(timeout_ms);
    // Long enough for the last request to end by its own timeout, not be cut off.
    p.load.graceful_stop = Duration::from_millis(timeout_ms + 1000);
    run(p, false).await
}

/// This test process's peak resident memory (VmHWM), from /proc.
fn assert_peak_rss_bounded() {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status");
    assert!(
        kb * 1024 < MAX_PEAK_RSS_BYTES,
        "peak RSS {kb} kB is over the {MAX_PEAK_RSS_BYTES} byte bound"
    );
}

/// The only class seen, with its count and last message.
fn only(label: &str, out: &RunOutput) -> (u64, String) {
    let c = &out.summary.overall.classes;
    assert_eq!(
        c.keys().collect::<Vec<_>>(),
        vec![label],
        "expected only {label}: {c:?}"
    );
    let message = out
        .summary
        .error_classes
        .iter()
        .find(|e| e.label == label)
        .and_then(|e| e.last_message.clone())
        .unwrap_or_default();
    (c[label], message)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_on_accept_is_protocol_and_backs_off() {
    let out = against(Fault::CloseOnAccept, 2, 1000, 2000).await;
    let (n, message) = only("protocol", &out);
    // Connected, then no response: the exchange failed, so `protocol` like a close
    // after the request. Without backoff 2 VUs make thousands of attempts a second;
    // with it (50, 100, 200, 400 ms…) about 5 each.
    assert!((2..=24).contains(&n), "{n} attempts in 1 s by 2 VUs");
    assert!(message.contains("no response"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_after_request_is_protocol_and_backs_off() {
    let out = against(Fault::CloseAfterRequest, 2, 1000, 2000).await;
    let (n, message) = only("protocol", &out);
    assert!((2..=24).contains(&n), "{n} attempts in 1 s by 2 VUs");
    assert!(message.contains("no response"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_mid_body_is_protocol_and_its_bytes_count() {
    let out = against(Fault::ResetMidBody, 1, 600, 2000).await;
    let (n, message) = only("protocol", &out);
    assert!(message.contains("cut short"), "{message}");
    // 64 KiB of body arrived before each reset (at least most of it: the RST can
    // discard what the kernel had not handed over yet, so allow a margin).
    assert!(
        out.summary.bytes_in >= n * 16 * 1024,
        "{} bytes in for {n} reset requests",
        out.summary.bytes_in
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_chunked_body_times_out_and_counts_what_arrived() {
    let out = against(Fault::EndlessChunked, 1, 700, 300).await;
    let (n, message) = only("timeout", &out);
    assert!(n >= 1, "{n}");
    assert!(message.contains("no complete response within"), "{message}");
    // Loopback moves far more than 1 MB in 300 ms; the old code reported 0 B.
    assert!(
        out.summary.bytes_in > 1 << 20,
        "{} bytes in from an endless body",
        out.summary.bytes_in
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_byte_per_second_body_times_out_with_its_bytes() {
    let out = against(Fault::SlowBody, 1, 300, 1200).await;
    let (n, _) = only("timeout", &out);
    assert_eq!(n, 1, "one VU, one 1.2 s request");
    // The head (estimated) and the first body bytes arrived.
    assert!(
        out.summary.bytes_in > 17,
        "{} bytes in",
        out.summary.bytes_in
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_status_line_is_protocol() {
    let out = against(Fault::BadStatusLine, 2, 500, 2000).await;
    let (n, _) = only("protocol", &out);
    assert!((1..=24).contains(&n), "{n} attempts, backing off");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_999_is_protocol_with_the_code_and_keeps_its_connection() {
    let out = against(Fault::Status999, 2, 500, 2000).await;
    let (n, message) = only("protocol", &out);
    assert!(message.contains("HTTP 999"), "{message}");
    let protocol = &out.summary.error_classes[0];
    assert_eq!(protocol.statuses, vec![(999, n)]);
    // A response arrived on a working keep-alive connection: no backoff, so many
    // more requests than the backoff's ~5 per VU per second.
    assert!(n > 50, "{n}");
    assert!(out.summary.bytes_in > n * 3, "{}", out.summary.bytes_in);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_a_bad_certificate_is_tls_and_backs_off() {
    let t = target_with(TargetConfig {
        tls: true,
        ..TargetConfig::default()
    })
    .await;
    let p = profile(
        &t.url(""),
        &[("/ping", 1)],
        flat(2, Duration::from_millis(1000)),
    );
    let out = run(p, false).await;
    let (n, message) = only("tls", &out);
    assert!((2..=24).contains(&n), "{n} handshakes in 1 s by 2 VUs");
    assert!(message.to_lowercase().contains("certificate"), "{message}");
}
