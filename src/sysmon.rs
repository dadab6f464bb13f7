//! Memory and CPU sampling for the dashboard's memory pane.
//!
//! ```text
//!  sampler task ──spawn_blocking(sysinfo, 1 s)──┐
//!  lag task (100 ms tick) ── watch<f64> ────────┤──▶ watch<MemoryStatus> ──▶ aggregator
//!  URL task (every watch_every) ── watch<..> ───┘
//! ```
//!
//! - host memory, swap and load average, loadpilot's own RSS and CPU, and a watched
//!   target process (by pid) come from `sysinfo`, read on a blocking thread once a
//!   second (reading `/proc` is blocking file I/O);
//! - a target reached over HTTP (`--watch-url`) is read every `watch_every`: Prometheus
//!   text (`process_resident_memory_bytes`, `process_cpu_seconds_total`) or, with
//!   `--watch-json-path`, a number in a JSON document;
//! - scheduler lag is how late a 100 ms tokio interval fires — when loadpilot itself is
//!   saturated, its timers run late and its latency figures overstate the target's.
//!
//! Everything ends when `shutdown` is cancelled or when every receiver is gone.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use crate::metrics::dashboard::MemoryStatus;

/// How often host, self and pid figures are sampled.
pub const SAMPLE_INTERVAL: Duration = Duration::from_secs(1);
/// The tick whose lateness is the scheduler lag.
pub const LAG_TICK: Duration = Duration::from_millis(100);
/// Lag is reported as the worst of this many recent ticks (one second).
const LAG_WINDOW_TICKS: usize = 10;
/// A `--watch-url` read that takes longer than this counts as failed.
pub const URL_TIMEOUT: Duration = Duration::from_secs(2);
/// Largest `--watch-url` body read.
const URL_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// What to watch besides the host and loadpilot itself.
#[derive(Debug, Clone)]
pub struct SysmonConfig {
    /// A local process (the demo target, or `--watch-pid`).
    pub target_pid: Option<u32>,
    /// A Prometheus text or JSON endpoint describing the target.
    pub watch_url: Option<String>,
    /// JSON path (`$.memory.rss_bytes`) or JSON pointer (`/memory/rss_bytes`) of the
    /// resident-memory figure; without it the URL is read as Prometheus text.
    pub watch_json_path: Option<String>,
    /// How often `watch_url` is read.
    pub watch_every: Duration,
}

/// Samples host memory/swap/load, loadpilot's own RSS and CPU, and the target (pid via sysinfo; or URL: Prometheus text `process_resident_memory_bytes`/`process_cpu_seconds_total`, or JSON at a path) on a blocking thread / task, every 1 s (URL every watch_every); measures scheduler lag (how late a 100 ms tokio interval fires). Ends when `shutdown` is cancelled.
///
/// Must be called inside a tokio runtime. The receiver starts at
/// `MemoryStatus::default()` (all zero) until the first sample.
pub fn spawn(config: SysmonConfig, shutdown: CancellationToken) -> watch::Receiver<MemoryStatus> {
    // Sampler task → aggregator: the newest figures; ends when the sampler returns.
    let (status_tx, status_rx) = watch::channel(MemoryStatus::default());
    // Lag task → sampler: worst recent lateness in ms; ends with the lag task.
    let (lag_tx, lag_rx) = watch::channel(0.0_f64);
    // URL task → sampler: the newest target figures read over HTTP.
    let (url_tx, url_rx) = watch::channel(TargetSample::default());

    tokio::spawn(measure_lag(lag_tx, shutdown.clone()));
    if let Some(url) = config.watch_url.clone() {
        let format = match config.watch_json_path.clone() {
            Some(path) => UrlFormat::Json {
                pointer: json_pointer(&path),
            },
            None => UrlFormat::Prometheus,
        };
        tokio::spawn(poll_url(
            url,
            format,
            config.watch_every,
            url_tx,
            shutdown.clone(),
        ));
    }
    tokio::spawn(sample_loop(
        config.target_pid,
        status_tx,
        lag_rx,
        url_rx,
        shutdown,
    ));
    status_rx
}

/// Target figures read from `--watch-url`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct TargetSample {
    rss: Option<u64>,
    cpu_pct: Option<f64>,
}

/// Reads sysinfo once a second on a blocking thread and publishes a [`MemoryStatus`].
async fn sample_loop(
    target_pid: Option<u32>,
    status_tx: watch::Sender<MemoryStatus>,
    lag_rx: watch::Receiver<f64>,
    url_rx: watch::Receiver<TargetSample>,
    shutdown: CancellationToken,
) {
    let mut sampler = match tokio::task::spawn_blocking(move || Sampler::new(target_pid)).await {
        Ok(Ok(sampler)) => sampler,
        Ok(Err(e)) => {
            tracing::warn!("memory sampling is off: cannot read system information: {e}");
            return;
        }
        Err(e) => {
            tracing::warn!("memory sampling is off: {e}");
            return;
        }
    };
    let mut tick = tokio::time::interval(SAMPLE_INTERVAL);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let (back, mut status) = match tokio::task::spawn_blocking(move || {
            let status = sampler.sample();
            (sampler, status)
        })
        .await
        {
            Ok(pair) => pair,
            Err(e) => {
                tracing::warn!("memory sampling stopped: {e}");
                return;
            }
        };
        sampler = back;
        status.scheduler_lag_ms = *lag_rx.borrow();
        let url = *url_rx.borrow();
        status.target_rss = status.target_rss.or(url.rss);
        status.target_cpu_pct = status.target_cpu_pct.or(url.cpu_pct);
        if status_tx.send(status).is_err() {
            return; // nobody is listening any more
        }
    }
}

/// sysinfo state kept between samples (process CPU needs the previous reading).
struct Sampler {
    system: System,
    self_pid: Option<Pid>,
    target_pid: Option<Pid>,
}

impl Sampler {
    fn new(target_pid: Option<u32>) -> Result<Sampler, sysinfo::Error> {
        Ok(Sampler {
            system: System::new()?,
            self_pid: sysinfo::get_current_pid().ok(),
            target_pid: target_pid.map(Pid::from_u32),
        })
    }

    /// One reading (blocking: reads `/proc`). `scheduler_lag_ms` is left at 0.
    fn sample(&mut self) -> MemoryStatus {
        let system = &mut self.system;
        system.refresh_memory();
        let mut pids: Vec<Pid> = self.self_pid.into_iter().chain(self.target_pid).collect();
        // sysinfo drops a process listed twice (its "updated" flag flips back), so
        // watching loadpilot's own pid must not list it twice.
        pids.dedup();
        system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&pids),
            true,
            ProcessRefreshKind::nothing().with_memory().with_cpu(),
        );
        let load = System::load_average().unwrap_or_default();
        let process = |pid: Option<Pid>| pid.and_then(|p| system.process(p));
        let own = process(self.self_pid);
        let target = process(self.target_pid);
        MemoryStatus {
            host_total: system.total_memory(),
            host_used: system.used_memory(),
            host_available: system.available_memory(),
            swap_total: system.total_swap(),
            swap_used: system.used_swap(),
            load_avg: [load.one, load.five, load.fifteen],
            target_rss: target.map(|p| p.memory()),
            target_cpu_pct: target.map(|p| f64::from(p.cpu_usage())),
            self_rss: own.map_or(0, |p| p.memory()),
            self_cpu_pct: own.map_or(0.0, |p| f64::from(p.cpu_usage())),
            scheduler_lag_ms: 0.0,
        }
    }
}

/// Publishes the worst lateness of a [`LAG_TICK`] interval over the last second.
async fn measure_lag(lag_tx: watch::Sender<f64>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(LAG_TICK);
    // After a late tick, schedule the next one a full period later (no catch-up
    // burst), so each tick measures fresh lateness.
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut recent = [0.0_f64; LAG_WINDOW_TICKS];
    let mut i = 0;
    loop {
        let scheduled = tokio::select! {
            _ = shutdown.cancelled() => return,
            scheduled = tick.tick() => scheduled,
        };
        let late = tokio::time::Instant::now().saturating_duration_since(scheduled);
        recent[i % LAG_WINDOW_TICKS] = late.as_secs_f64() * 1000.0;
        i += 1;
        let worst = recent.iter().copied().fold(0.0, f64::max);
        if lag_tx.send(worst).is_err() {
            return;
        }
    }
}

/// How a `--watch-url` body is read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum UrlFormat {
    Prometheus,
    /// A JSON pointer (RFC 6901) to the resident-memory number.
    Json {
        pointer: String,
    },
}

/// Reads `url` every `every` and publishes what it found (or nothing, when it failed).
async fn poll_url(
    url: String,
    format: UrlFormat,
    every: Duration,
    url_tx: watch::Sender<TargetSample>,
    shutdown: CancellationToken,
) {
    let uri: hyper::Uri = match url.parse() {
        Ok(uri) => uri,
        Err(e) => {
            tracing::warn!("--watch-url \"{url}\" is not a URL: {e}");
            return;
        }
    };
    let client: Client<HttpConnector, Empty<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let mut tick = tokio::time::interval(every.max(Duration::from_millis(50)));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // (cpu seconds, when read) of the previous Prometheus reading.
    let mut last_cpu: Option<(f64, Instant)> = None;
    let mut warned = false;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let sample = match fetch(&client, &uri).await {
            Ok(body) => match &format {
                UrlFormat::Prometheus => {
                    let now = Instant::now();
                    let rss = prometheus_value(&body, "process_resident_memory_bytes");
                    let cpu_s = prometheus_value(&body, "process_cpu_seconds_total");
                    let cpu_pct = match (cpu_s, last_cpu) {
                        (Some(cpu), Some((prev, at))) => {
                            cpu_percent(prev, cpu, now.duration_since(at))
                        }
                        _ => None,
                    };
                    last_cpu = cpu_s.map(|cpu| (cpu, now));
                    TargetSample {
                        rss: rss.map(|v| v as u64),
                        cpu_pct,
                    }
                }
                UrlFormat::Json { pointer } => TargetSample {
                    rss: json_value(&body, pointer).map(|v| v as u64),
                    cpu_pct: None,
                },
            },
            Err(e) => {
                if !warned {
                    tracing::warn!("--watch-url \"{url}\": {e}");
                    warned = true;
                }
                TargetSample::default()
            }
        };
        if url_tx.send(sample).is_err() {
            return;
        }
    }
}

/// GETs `uri` and returns its body as text.
async fn fetch(
    client: &Client<HttpConnector, Empty<Bytes>>,
    uri: &hyper::Uri,
) -> Result<String, String> {
    let read = async {
        let response = client
            .get(uri.clone())
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("answered {}", response.status()));
        }
        let body = Limited::new(response.into_body(), URL_MAX_BODY_BYTES)
            .collect()
            .await
            .map_err(|e| format!("reading the body failed: {e}"))?
            .to_bytes();
        String::from_utf8(body.to_vec()).map_err(|_| "the body is not UTF-8 text".to_string())
    };
    tokio::time::timeout(URL_TIMEOUT, read).await.map_err(|_| {
        format!(
            "no answer within {}",
            humantime::format_duration(URL_TIMEOUT)
        )
    })?
}

/// CPU % (100 = one core) from two readings of a cumulative CPU-seconds counter.
fn cpu_percent(prev_s: f64, now_s: f64, wall: Duration) -> Option<f64> {
    let wall_s = wall.as_secs_f64();
    (wall_s > 0.0 && now_s >= prev_s).then(|| (now_s - prev_s) / wall_s * 100.0)
}

/// The value of the first sample of metric `name` in Prometheus text format.
fn prometheus_value(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .find_map(|line| {
            let rest = line.strip_prefix(name)?;
            // The name must end here: labels, or whitespace before the value.
            let rest = if let Some(labels) = rest.strip_prefix('{') {
                &labels[labels.find('}')? + 1..]
            } else if rest.starts_with(char::is_whitespace) {
                rest
            } else {
                return None;
            };
            rest.split_whitespace().next()?.parse::<f64>().ok()
        })
}

/// Turns a JSON path (`$.memory.rss_bytes`, `$.a[0].b`, `memory.rss`) into a JSON
/// pointer (`/memory/rss_bytes`); a path already starting with `/` is kept.
fn json_pointer(path: &str) -> String {
    if path.starts_with('/') {
        return path.to_string();
    }
    let path = path.strip_prefix('$').unwrap_or(path);
    let mut pointer = String::new();
    for part in path.split(['.', '[']).filter(|p| !p.is_empty()) {
        let key = part.strip_suffix(']').unwrap_or(part);
        let key = key.trim_matches(|c| c == '\'' || c == '"');
        pointer.push('/');
        pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
    }
    pointer
}

/// The number (or numeric string) at `pointer` in a JSON document.
fn json_value(text: &str, pointer: &str) -> Option<f64> {
    let doc: serde_json::Value = serde_json::from_str(text).ok()?;
    match doc.pointer(pointer)? {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_text() {
        let text = "# HELP process_resident_memory_bytes Resident memory size in bytes.\n\
                    # TYPE process_resident_memory_bytes gauge\n\
                    process_resident_memory_bytes_total 1\n\
                    process_resident_memory_bytes 1.23456e+08\n\
                    process_cpu_seconds_total{pid=\"7\"} 12.5\n";
        assert_eq!(
            prometheus_value(text, "process_resident_memory_bytes"),
            Some(123_456_000.0)
        );
        assert_eq!(
            prometheus_value(text, "process_cpu_seconds_total"),
            Some(12.5)
        );
        assert_eq!(prometheus_value(text, "missing"), None);
    }

    #[test]
    fn json_paths() {
        assert_eq!(json_pointer("$.memory.rss_bytes"), "/memory/rss_bytes");
        assert_eq!(json_pointer("$.procs[1].rss"), "/procs/1/rss");
        assert_eq!(json_pointer("memory.rss"), "/memory/rss");
        assert_eq!(json_pointer("/a/b"), "/a/b");
        let doc = r#"{"memory":{"rss_bytes":4096,"text":"512"},"procs":[{},{"rss":7}]}"#;
        assert_eq!(json_value(doc, "/memory/rss_bytes"), Some(4096.0));
        assert_eq!(json_value(doc, "/memory/text"), Some(512.0));
        assert_eq!(json_value(doc, &json_pointer("$.procs[1].rss")), Some(7.0));
        assert_eq!(json_value(doc, "/nope"), None);
    }

    #[test]
    fn cpu_from_counter() {
        assert_eq!(cpu_percent(10.0, 10.5, Duration::from_secs(1)), Some(50.0));
        assert_eq!(cpu_percent(10.0, 9.0, Duration::from_secs(1)), None);
    }

    /// `VmRSS` of this process from `/proc/self/status`, bytes.
    fn proc_vm_rss() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }

    async fn first_sample(
        rx: &mut watch::Receiver<MemoryStatus>,
        ready: impl Fn(&MemoryStatus) -> bool,
    ) -> MemoryStatus {
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                rx.changed().await.expect("sysmon ended early");
                let status = *rx.borrow_and_update();
                if ready(&status) {
                    return status;
                }
            }
        })
        .await
        .expect("no sample in time")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn own_rss_matches_proc_and_pid_target_is_read() {
        let shutdown = CancellationToken::new();
        let config = SysmonConfig {
            target_pid: Some(std::process::id()),
            watch_url: None,
            watch_json_path: None,
            watch_every: Duration::from_secs(5),
        };
        let mut rx = spawn(config, shutdown.clone());
        let status = first_sample(&mut rx, |s| s.host_total > 0).await;
        assert!(status.host_used > 0 && status.host_used <= status.host_total);
        assert!(status.self_rss > 0);
        if let Some(vm_rss) = proc_vm_rss() {
            let ratio = status.self_rss as f64 / vm_rss as f64;
            assert!(
                (0.5..2.0).contains(&ratio),
                "sysinfo {} vs VmRSS {vm_rss}",
                status.self_rss
            );
        }
        // Watching our own pid: the target is this process.
        let target = status.target_rss.expect("target pid not read");
        assert!(target > 0);
        shutdown.cancel();
        let ended = tokio::time::timeout(Duration::from_secs(5), async {
            while rx.changed().await.is_ok() {}
        })
        .await;
        assert!(ended.is_ok(), "sysmon did not end on shutdown");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn scheduler_lag_shows_a_blocked_runtime() {
        let shutdown = CancellationToken::new();
        let (lag_tx, mut lag_rx) = watch::channel(0.0);
        tokio::spawn(measure_lag(lag_tx, shutdown.clone()));
        // Let the first (immediate) tick pass, then block the only thread.
        tokio::time::sleep(Duration::from_millis(150)).await;
        std::thread::sleep(Duration::from_millis(400));
        let mut worst = 0.0_f64;
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while lag_rx.changed().await.is_ok() {
                worst = worst.max(*lag_rx.borrow_and_update());
                if worst >= 200.0 {
                    return;
                }
            }
        })
        .await;
        assert!(worst >= 200.0, "worst lag {worst} ms");
        shutdown.cancel();
    }

    /// A tiny HTTP server on 127.0.0.1:0 answering `/metrics` (Prometheus text, the
    /// CPU counter advancing 0.1 s per read) and `/stats` (JSON).
    async fn start_target() -> std::net::SocketAddr {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicU64, Ordering};

        use http_body_util::Full;
        use hyper::service::service_fn;
        use hyper_util::rt::TokioIo;

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let reads = Arc::new(AtomicU64::new(0));
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let reads = reads.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let n = reads.fetch_add(1, Ordering::SeqCst);
                        let body = match req.uri().path() {
                            "/metrics" => format!(
                                "# TYPE process_resident_memory_bytes gauge\n\
                                 process_resident_memory_bytes 3.3554432e+07\n\
                                 process_cpu_seconds_total {}\n",
                                n as f64 * 0.1
                            ),
                            _ => r#"{"memory":{"rss_bytes":12345678}}"#.to_string(),
                        };
                        async move {
                            Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                                Bytes::from(body),
                            )))
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        addr
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn url_target_prometheus_and_json() {
        let addr = start_target().await;
        let shutdown = CancellationToken::new();

        let mut prom = spawn(
            SysmonConfig {
                target_pid: None,
                watch_url: Some(format!("http://{addr}/metrics")),
                watch_json_path: None,
                watch_every: Duration::from_millis(100),
            },
            shutdown.clone(),
        );
        let status = first_sample(&mut prom, |s| s.target_cpu_pct.is_some()).await;
        assert_eq!(status.target_rss, Some(32 * 1024 * 1024));
        assert!(status.target_cpu_pct.unwrap() > 0.0);

        let mut json = spawn(
            SysmonConfig {
                target_pid: None,
                watch_url: Some(format!("http://{addr}/stats")),
                watch_json_path: Some("$.memory.rss_bytes".into()),
                watch_every: Duration::from_millis(100),
            },
            shutdown.clone(),
        );
        let status = first_sample(&mut json, |s| s.target_rss.is_some()).await;
        assert_eq!(status.target_rss, Some(12_345_678));
        assert_eq!(status.target_cpu_pct, None);
        shutdown.cancel();
    }
}
