//! Scheduler lag: how late a [`LAG_TICK`] interval fires. When loadpilot itself is
//! saturated its timers run late and its latency figures overstate the target's.

use tokio::sync::watch;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::LAG_TICK;

/// Lag is reported as the worst of this many recent ticks (one second).
const LAG_WINDOW_TICKS: usize = 10;

/// Publishes the worst lateness of a [`LAG_TICK`] interval over the last second.
pub(super) async fn measure_lag(lag_tx: watch::Sender<f64>, shutdown: CancellationToken) {
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

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
}
