//! The target's own counters, `/health` and the Prometheus text of `/metrics`.
//!
//! Recording a response is one relaxed atomic add into a fixed table indexed by status code:
//! no lock and no allocation on the request path. Process memory and CPU come from sysinfo and
//! are read only when `/health` or `/metrics` is asked.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

/// Status codes 100..=599 each get a counter.
const FIRST_STATUS: u16 = 100;
const STATUS_SLOTS: usize = 500;

/// Responses sent, by status code.
#[derive(Debug)]
pub struct StatusCounters {
    by_status: Box<[AtomicU64]>,
}

impl Default for StatusCounters {
    fn default() -> Self {
        Self {
            by_status: (0..STATUS_SLOTS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

impl StatusCounters {
    pub fn record(&self, status: u16) {
        if let Some(slot) = status
            .checked_sub(FIRST_STATUS)
            .and_then(|i| self.by_status.get(usize::from(i)))
        {
            slot.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// `(status, count)` for every status sent at least once, in status order.
    pub fn nonzero(&self) -> impl Iterator<Item = (u16, u64)> + '_ {
        self.by_status.iter().enumerate().filter_map(|(i, c)| {
            let n = c.load(Ordering::Relaxed);
            (n > 0).then(|| (FIRST_STATUS + i as u16, n))
        })
    }
}

/// Memory and CPU of this process.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProcessSample {
    pub rss_bytes: u64,
    pub cpu_seconds: f64,
}

/// Reads this process's resident memory and CPU time.
#[derive(Debug)]
pub struct ProcessProbe {
    pid: Option<Pid>,
    /// sysinfo keeps per-process state between refreshes, so one `System` is reused. The lock is
    /// held for one `/proc` read, never across an `.await`, and only by `/health` and `/metrics`.
    system: Mutex<Option<System>>,
}

impl Default for ProcessProbe {
    fn default() -> Self {
        Self {
            pid: sysinfo::get_current_pid().ok(),
            system: Mutex::new(System::new().ok()),
        }
    }
}

impl ProcessProbe {
    /// Blocking (a few small file reads): call it from `spawn_blocking`.
    /// Zeros when the platform gives no numbers.
    pub fn sample(&self) -> ProcessSample {
        let Some(pid) = self.pid else {
            return ProcessSample::default();
        };
        let mut guard = self.system.lock().unwrap_or_else(|e| e.into_inner());
        let Some(system) = guard.as_mut() else {
            return ProcessSample::default();
        };
        system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[pid]),
            true,
            ProcessRefreshKind::nothing().with_memory().with_cpu(),
        );
        system
            .process(pid)
            .map(|p| ProcessSample {
                rss_bytes: p.memory(),
                cpu_seconds: p.accumulated_cpu_time() as f64 / 1000.0,
            })
            .unwrap_or_default()
    }
}

/// The gauges `/metrics` reports beside the counters.
#[derive(Debug, Clone, Copy)]
pub struct Gauges {
    pub in_flight: usize,
    pub queue_depth: usize,
    pub workers: usize,
    pub process: ProcessSample,
}

/// Prometheus text exposition format (version 0.0.4).
pub fn render_prometheus(counters: &StatusCounters, gauges: &Gauges) -> String {
    let mut out = String::with_capacity(2048);
    // `write!` into a String cannot fail.
    let _ = writeln!(
        out,
        "# HELP loadpilot_target_requests_total Responses sent by the demo target, by status code.\n\
         # TYPE loadpilot_target_requests_total counter"
    );
    for (status, n) in counters.nonzero() {
        let _ = writeln!(
            out,
            "loadpilot_target_requests_total{{status=\"{status}\"}} {n}"
        );
    }
    let gauge = |out: &mut String, name: &str, help: &str, value: String| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
        );
    };
    gauge(
        &mut out,
        "loadpilot_target_in_flight",
        "Requests holding a worker.",
        gauges.in_flight.to_string(),
    );
    gauge(
        &mut out,
        "loadpilot_target_queue_depth",
        "Requests waiting for a worker.",
        gauges.queue_depth.to_string(),
    );
    gauge(
        &mut out,
        "loadpilot_target_workers",
        "Size of the worker pool.",
        gauges.workers.to_string(),
    );
    gauge(
        &mut out,
        "process_resident_memory_bytes",
        "Resident memory size in bytes.",
        gauges.process.rss_bytes.to_string(),
    );
    let _ = writeln!(
        out,
        "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n\
         # TYPE process_cpu_seconds_total counter\n\
         process_cpu_seconds_total {}",
        gauges.process.cpu_seconds
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_status_and_ignores_out_of_range() {
        let counters = StatusCounters::default();
        counters.record(200);
        counters.record(200);
        counters.record(503);
        counters.record(42);
        counters.record(999);
        assert_eq!(counters.nonzero().collect::<Vec<_>>(), [(200, 2), (503, 1)]);
    }

    #[test]
    fn exposition_has_help_type_and_samples() {
        let counters = StatusCounters::default();
        counters.record(429);
        let text = render_prometheus(
            &counters,
            &Gauges {
                in_flight: 3,
                queue_depth: 1,
                workers: 8,
                process: ProcessSample {
                    rss_bytes: 1024,
                    cpu_seconds: 0.5,
                },
            },
        );
        for line in [
            "# TYPE loadpilot_target_requests_total counter",
            "loadpilot_target_requests_total{status=\"429\"} 1",
            "loadpilot_target_in_flight 3",
            "loadpilot_target_queue_depth 1",
            "process_resident_memory_bytes 1024",
            "process_cpu_seconds_total 0.5",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }

    #[test]
    fn probe_sees_own_memory() {
        let sample = ProcessProbe::default().sample();
        if cfg!(target_os = "linux") {
            assert!(sample.rss_bytes > 0);
        }
    }
}
