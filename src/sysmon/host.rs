//! Host memory, swap and load, loadpilot's own RSS and CPU, and a watched process
//! by pid, from `sysinfo` on a blocking thread (reading `/proc` is blocking I/O).

use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::TargetSample;
use crate::metrics::dashboard::SystemStatus;

/// Reads sysinfo every `every` on a blocking thread and publishes a [`SystemStatus`].
pub(super) async fn sample_loop(
    target_pid: Option<u32>,
    every: std::time::Duration,
    status_tx: watch::Sender<SystemStatus>,
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
    let mut tick = tokio::time::interval(every);
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
        status.watch = url.watch;
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
    /// The target's cgroup memory limit, read once (it rarely changes).
    target_mem_limit: Option<u64>,
}

impl Sampler {
    fn new(target_pid: Option<u32>) -> Result<Sampler, sysinfo::Error> {
        Ok(Sampler {
            system: System::new()?,
            self_pid: sysinfo::get_current_pid().ok(),
            target_pid: target_pid.map(Pid::from_u32),
            target_mem_limit: target_pid.and_then(super::cgroup::memory_limit),
        })
    }

    /// One reading (blocking: reads `/proc`). `scheduler_lag_ms` is left at 0.
    fn sample(&mut self) -> SystemStatus {
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
        SystemStatus {
            host_total: system.total_memory(),
            host_used: system.used_memory(),
            host_available: system.available_memory(),
            swap_total: system.total_swap(),
            swap_used: system.used_swap(),
            load_avg: [load.one, load.five, load.fifteen],
            target_rss: target.map(|p| p.memory()),
            target_cpu_pct: target.map(|p| f64::from(p.cpu_usage())),
            target_mem_limit: self.target_mem_limit,
            watch: Default::default(),
            self_rss: own.map_or(0, |p| p.memory()),
            self_cpu_pct: own.map_or(0.0, |p| f64::from(p.cpu_usage())),
            scheduler_lag_ms: 0.0,
        }
    }
}
