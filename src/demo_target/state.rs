//! What every request handler shares. All of it is atomics, a semaphore, or small maps behind
//! short-lived std mutexes that only the non-hot endpoints (`/login`, `/jobs`) touch.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand_distr::LogNormal;

use super::TargetConfig;
use super::jobs::Jobs;
use super::metrics::{ProcessProbe, StatusCounters};
use super::pool::WorkerPool;
use super::ratelimit::RateLimiter;
use super::sessions::Sessions;

/// Median of the `/api/items` latency.
const ITEMS_MEDIAN_MS: f64 = 20.0;
/// Spread of the `/api/items` latency (σ of its logarithm): p99 ≈ 4× the median.
const ITEMS_SIGMA: f64 = 0.6;

#[derive(Debug)]
pub struct AppState {
    pub error_rate: f64,
    pub slow_timeout_share: f64,
    pub started: Instant,
    pub pool: Arc<WorkerPool>,
    pub limiter: RateLimiter,
    pub sessions: Sessions,
    pub jobs: Jobs,
    pub counters: StatusCounters,
    pub probe: ProcessProbe,
    /// `/api/items` latency in milliseconds.
    pub items_delay_ms: LogNormal<f64>,
    /// `--fault`: every connection misbehaves this way instead of being served.
    pub fault: Option<super::fault::Fault>,
    /// `--stall`: periodic freezes of the endpoints that take a worker.
    pub stall: Option<super::stall::Stall>,
    /// `--leak`: memory kept alive per request.
    pub leak: super::leak::Leak,
}

impl AppState {
    pub fn new(config: &TargetConfig) -> Self {
        Self {
            error_rate: config.error_rate.clamp(0.0, 1.0),
            stall: config.stall,
            slow_timeout_share: config.slow_timeout_share.clamp(0.0, 1.0),
            started: Instant::now(),
            pool: Arc::new(WorkerPool::new(config.workers, config.queue_limit)),
            limiter: RateLimiter::new(config.rate_limit, config.rate_limit),
            sessions: Sessions::default(),
            jobs: Jobs::new(config.job_duration),
            counters: StatusCounters::default(),
            probe: ProcessProbe::default(),
            items_delay_ms: LogNormal::new(ITEMS_MEDIAN_MS.ln(), ITEMS_SIGMA)
                .expect("constant σ is positive and finite"),
            fault: config.fault,
            leak: super::leak::Leak::new(config.leak.unwrap_or(0)),
        }
    }

    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }
}
