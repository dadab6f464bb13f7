//! Headless mode: a progress line on stderr every few seconds of run time, read
//! from the same published frames the dashboard draws.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::metrics::dashboard::Dashboard;

/// The shortest progress interval honoured.
const MIN_EVERY: Duration = Duration::from_millis(100);

/// Prints a progress line on stderr every `every` of run time until the frame
/// channel closes.
pub async fn progress(frames: watch::Receiver<Arc<Dashboard>>, every: Duration) {
    progress_to(frames, every, &mut std::io::stderr()).await;
}

/// Writes a progress line to `out` each time a fresh frame's run time reaches
/// the next multiple of `every`. Driven by the frames, not by a timer: a timer
/// that fires while the newest frame is still the last one printed (the
/// aggregator publishes on its own clock) would print that frame twice.
pub async fn progress_to(
    mut frames: watch::Receiver<Arc<Dashboard>>,
    every: Duration,
    out: &mut impl Write,
) {
    let mut clock = ProgressClock::new(every);
    while frames.changed().await.is_ok() {
        let frame = frames.borrow_and_update().clone();
        if clock.due(frame.elapsed) {
            let _ = writeln!(out, "{}", progress_line(&frame));
        }
    }
}

/// When the next progress line is due, in run time.
#[derive(Debug, Clone, Copy)]
pub struct ProgressClock {
    every: Duration,
    next: Duration,
}

impl ProgressClock {
    pub fn new(every: Duration) -> ProgressClock {
        let every = every.max(MIN_EVERY);
        ProgressClock { every, next: every }
    }

    /// True (once per period) when a frame of run time `elapsed` should print;
    /// the next line is then due at the next multiple of the period.
    pub fn due(&mut self, elapsed: Duration) -> bool {
        if elapsed < self.next {
            return false;
        }
        let periods = elapsed.as_nanos() / self.every.as_nanos() + 1;
        self.next = self
            .every
            .saturating_mul(u32::try_from(periods).unwrap_or(u32::MAX));
        true
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
    let (number, count) = d.stage.position().unwrap_or((0, 0));
    format!(
        "[{:>5}{}] stage {}/{} {:<8} VUs {}/{}  rps {:.1}  p95 {}  errors {:.2}%",
        format!("{}s", d.elapsed.as_secs()),
        planned.unwrap_or_default(),
        number,
        count,
        d.mode.label_in(&d.stage),
        d.vus_active,
        d.vus_target,
        d.rps_now,
        crate::format::ms_fixed(d.series.last().map_or(0, |r| r.latency.p95_us) as f64 / 1000.0),
        d.error_rate() * 100.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::{RunMode, StageStatus};

    fn frame(elapsed_ms: u64) -> Arc<Dashboard> {
        let mut d = Dashboard::empty("p", "http://x");
        d.elapsed = Duration::from_millis(elapsed_ms);
        d.planned = Some(Duration::from_secs(20));
        d.mode = RunMode::Ramping;
        d.stage = StageStatus {
            index: 1,
            count: 2,
            number: 1,
            timed: 1,
            flat: true,
            ..Default::default()
        };
        Arc::new(d)
    }

    /// Issue 13 point 6: a second is printed once, however the frames and the
    /// period line up (here the aggregator stalls on the 6 s frame, which a
    /// timer-driven printer printed twice).
    #[test]
    fn each_second_is_printed_once() {
        let mut clock = ProgressClock::new(Duration::from_secs(1));
        let frames = (250..=6000)
            .step_by(250)
            .chain([6000, 6000, 6010, 6990, 7000, 7250]);
        let printed: Vec<String> = frames
            .filter(|ms| clock.due(Duration::from_millis(*ms)))
            .map(|ms| progress_line(&frame(ms)))
            .collect();
        let seconds: Vec<&str> = printed
            .iter()
            .map(|l| l.split(']').next().unwrap())
            .collect();
        let expected: Vec<String> = (1..=7)
            .map(|s| format!("[{:>5}/20s", format!("{s}s")))
            .collect();
        assert_eq!(seconds, expected);
        assert!(printed[0].contains("stage 1/1 HOLD "), "{}", printed[0]);
    }
}
