//! Memory and CPU sampling for the dashboard's memory pane.
//!
//! ```text
//!  sampler task ──spawn_blocking(sysinfo, 1 s)──┐
//!  lag task (100 ms tick) ── watch<f64> ────────┤──▶ watch<SystemStatus> ──▶ aggregator
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
//!
//! One source per module: `host` (sysinfo), `lag` (the runtime's own
//! lateness), `watch_url` (a target's metrics endpoint, parsed by `exposition`).

mod cgroup;
mod exposition;
mod host;
mod lag;
mod watch_url;

use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::metrics::dashboard::{MAX_WATCHED, SystemStatus};
use watch_url::UrlFormat;

/// How often host, self and pid figures are sampled (sooner with a faster `watch_every`).
pub const SAMPLE_INTERVAL: Duration = Duration::from_secs(1);
/// The fastest sampling: sysinfo needs about this long between two readings of a
/// process's CPU.
pub const MIN_SAMPLE_INTERVAL: Duration = Duration::from_millis(200);
/// The tick whose lateness is the scheduler lag.
pub const LAG_TICK: Duration = Duration::from_millis(100);
/// A `--watch-url` read that takes longer than this counts as failed.
pub const URL_TIMEOUT: Duration = Duration::from_secs(2);

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
    /// How often `watch_url` is read; a value under [`SAMPLE_INTERVAL`] also
    /// samples the pid that often (not under [`MIN_SAMPLE_INTERVAL`]).
    pub watch_every: Duration,
    /// `watch.NAME` metrics to read from `watch_url` (Prometheus text), at most
    /// [`MAX_WATCHED`]; their values land in [`SystemStatus::watch`] in this order.
    pub watch_metrics: Vec<String>,
}

impl SysmonConfig {
    /// How often host, self and pid figures are sampled.
    pub fn sample_interval(&self) -> Duration {
        self.watch_every.clamp(MIN_SAMPLE_INTERVAL, SAMPLE_INTERVAL)
    }
}

/// Samples host memory/swap/load, loadpilot's own RSS and CPU, and the target (pid via sysinfo; or URL: Prometheus text `process_resident_memory_bytes`/`process_cpu_seconds_total`, or JSON at a path) on a blocking thread / task, every 1 s (URL every watch_every); measures scheduler lag (how late a 100 ms tokio interval fires). Ends when `shutdown` is cancelled.
///
/// Must be called inside a tokio runtime. The receiver starts at
/// `SystemStatus::default()` (all zero) until the first sample.
pub fn spawn(config: SysmonConfig, shutdown: CancellationToken) -> watch::Receiver<SystemStatus> {
    // Sampler task → aggregator: the newest figures; ends when the sampler returns.
    let (status_tx, status_rx) = watch::channel(SystemStatus::default());
    // Lag task → sampler: worst recent lateness in ms; ends with the lag task.
    let (lag_tx, lag_rx) = watch::channel(0.0_f64);
    // URL task → sampler: the newest target figures read over HTTP.
    let (url_tx, url_rx) = watch::channel(TargetSample::default());

    tokio::spawn(lag::measure_lag(lag_tx, shutdown.clone()));
    if let Some(url) = config.watch_url.clone() {
        let format = match config.watch_json_path.clone() {
            Some(path) => UrlFormat::Json {
                pointer: exposition::json_pointer(&path),
            },
            None => UrlFormat::Prometheus,
        };
        tokio::spawn(watch_url::poll_url(
            watch_url::Poll {
                url,
                format,
                every: config.watch_every,
                metrics: config.watch_metrics.clone(),
            },
            url_tx,
            shutdown.clone(),
        ));
    }
    tokio::spawn(host::sample_loop(
        config.target_pid,
        config.sample_interval(),
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
    /// `watch.NAME` values, in `SysmonConfig::watch_metrics` order.
    watch: [Option<f64>; MAX_WATCHED],
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    /// `VmRSS` of this process from `/proc/self/status`, bytes.
    fn proc_vm_rss() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }

    async fn first_sample(
        rx: &mut watch::Receiver<SystemStatus>,
        ready: impl Fn(&SystemStatus) -> bool,
    ) -> SystemStatus {
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
            watch_metrics: Vec::new(),
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
                                 process_cpu_seconds_total {}\n\
                                 queue_depth{{queue=\"jobs\"}} 42\n",
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
                watch_metrics: vec!["queue_depth".into(), "absent".into()],
            },
            shutdown.clone(),
        );
        let status = first_sample(&mut prom, |s| s.target_cpu_pct.is_some()).await;
        assert_eq!(status.target_rss, Some(32 * 1024 * 1024));
        assert!(status.target_cpu_pct.unwrap() > 0.0);
        assert_eq!(
            status.watch[..2],
            [Some(42.0), None],
            "watch.NAME values in order"
        );

        let mut json = spawn(
            SysmonConfig {
                target_pid: None,
                watch_url: Some(format!("http://{addr}/stats")),
                watch_json_path: Some("$.memory.rss_bytes".into()),
                watch_every: Duration::from_millis(100),
                watch_metrics: Vec::new(),
            },
            shutdown.clone(),
        );
        let status = first_sample(&mut json, |s| s.target_rss.is_some()).await;
        assert_eq!(status.target_rss, Some(12_345_678));
        assert_eq!(status.target_cpu_pct, None);
        shutdown.cancel();
    }
}
