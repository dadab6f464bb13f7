//! Shared helpers for integration tests: the real demo target on a random
//! loopback port, profiles built in code, and the target's own counters.
#![allow(dead_code)]

pub mod bin;
pub mod pty;
pub mod recorder;

// Not every test file drives the binary.
#[allow(unused_imports)]
pub use bin::{loadpilot, output, text};

use std::collections::BTreeMap;
use std::time::Duration;

use loadpilot::cli::RunOptions;
use loadpilot::demo_target::{LocalTarget, TargetConfig, spawn_local};
use loadpilot::plan::Stage;
use loadpilot::profile::{Check, Profile, RequestSpec};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The demo target with default knobs on 127.0.0.1:0.
pub async fn target() -> LocalTarget {
    target_with(TargetConfig::default()).await
}

pub async fn target_with(config: TargetConfig) -> LocalTarget {
    spawn_local(config).await.expect("demo target starts")
}

/// A profile of weighted GETs against `base` (paths may be absolute URLs).
pub fn profile(base: &str, paths: &[(&str, u32)], stages: Vec<Stage>) -> Profile {
    let mut p = Profile::for_url(&format!("{base}/"), stages).expect("valid base URL");
    p.name = "test".into();
    p.requests = paths
        .iter()
        .map(|(path, weight)| RequestSpec {
            name: path.trim_start_matches('/').to_string(),
            weight: *weight,
            method: "GET".into(),
            path: path.to_string(),
            timeout: None,
            headers: Vec::new(),
            body: None,
            check: Check::default(),
            cookies: None,
            follow_redirects: None,
        })
        .collect();
    p.load.graceful_stop = Duration::from_secs(5);
    p
}

/// `vus` VUs for `duration`, as `--vus --duration` would give.
pub fn flat(vus: u32, duration: Duration) -> Vec<Stage> {
    loadpilot::plan::flat_stages(vus, duration)
}

pub fn stages(text: &str) -> Vec<Stage> {
    loadpilot::plan::parse_stages(text).expect("valid stages")
}

pub fn opts() -> RunOptions {
    RunOptions {
        headless: true,
        no_snapshot: true,
        progress_every: Duration::from_secs(5),
        watch_every: Duration::from_secs(5),
        ..RunOptions::default()
    }
}

/// Responses the target sent, by status, read from its Prometheus endpoint (the
/// scrape itself is counted after its body is rendered, so it is not included).
pub async fn served(target: &LocalTarget) -> BTreeMap<u16, u64> {
    let mut stream = tokio::net::TcpStream::connect(target.addr)
        .await
        .expect("connect to target");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut text = String::new();
    stream.read_to_string(&mut text).await.expect("read");
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("loadpilot_target_requests_total{status=\"")?;
            let (code, value) = rest.split_once("\"} ")?;
            Some((code.parse().ok()?, value.trim().parse().ok()?))
        })
        .collect()
}

/// A loopback port with nothing listening.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}
