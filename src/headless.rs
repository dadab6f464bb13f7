//! Headless mode: a progress line on stderr every few seconds, read from the same
//! published frames the dashboard draws.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::metrics::dashboard::Dashboard;

/// Prints a progress line every `every` until the frame channel closes.
pub async fn progress(mut frames: watch::Receiver<Arc<Dashboard>>, every: Duration) {
    let mut tick = tokio::time::interval(every.max(Duration::from_millis(100)));
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            changed = frames.changed() => {
                if changed.is_err() { return; }
                continue;
            }
        }
        let frame = frames.borrow_and_update().clone();
        let _ = writeln!(std::io::stderr(), "{}", progress_line(&frame));
    }
}

/// `[ 12s/2m] stage 2/5 RAMPING  VUs 20/20  rps 1234.0  p95 12.3ms  errors 0.52%`
pub fn progress_line(d: &Dashboard) -> String {
    let planned = d.planned.map(|p| {
        format!(
            "/{}",
            humantime::format_duration(Duration::from_secs(p.as_secs()))
        )
    });
    format!(
        "[{:>5}{}] stage {}/{} {:<8} VUs {}/{}  rps {:.1}  p95 {:.1}ms  errors {:.2}%",
        format!("{}s", d.elapsed.as_secs()),
        planned.unwrap_or_default(),
        (d.stage.index + 1).min(d.stage.count.max(1)),
        d.stage.count,
        d.mode.label(),
        d.vus_active,
        d.vus_target,
        d.rps_now,
        d.series.last().map_or(0, |r| r.latency.p95_us) as f64 / 1000.0,
        d.error_rate() * 100.0,
    )
}
