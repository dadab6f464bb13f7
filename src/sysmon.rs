//! Placeholder until the sampler lands.
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::metrics::dashboard::MemoryStatus;

pub struct SysmonConfig {
    pub target_pid: Option<u32>,
    pub watch_url: Option<String>,
    pub watch_json_path: Option<String>,
    pub watch_every: Duration,
}

pub fn spawn(_config: SysmonConfig, shutdown: CancellationToken) -> watch::Receiver<MemoryStatus> {
    let (tx, rx) = watch::channel(MemoryStatus::default());
    tokio::spawn(async move {
        shutdown.cancelled().await;
        drop(tx);
    });
    rx
}
