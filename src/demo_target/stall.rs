//! `--stall EVERY:FOR`: the whole target freezes for FOR at the start of every
//! EVERY (a garbage-collection pause, a lock convoy, a full disk). A request that
//! arrives in a freeze waits until it ends. It exists to show coordinated
//! omission: a closed-model load tester sends nothing while frozen and reports a
//! few slow requests; the open model reports every request that was due.

use std::time::{Duration, Instant};

/// A periodic freeze.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stall {
    pub every: Duration,
    pub length: Duration,
}

impl Stall {
    /// How long a request arriving `since_start` into the target's life waits.
    pub fn wait_at(&self, since_start: Duration) -> Duration {
        let every = self.every.as_nanos().max(1);
        let into = since_start.as_nanos() % every;
        let length = self.length.as_nanos();
        if into < length {
            Duration::from_nanos((length - into) as u64)
        } else {
            Duration::ZERO
        }
    }

    /// Waits out the freeze in force now, if any.
    pub async fn wait(&self, started: Instant) {
        let pause = self.wait_at(started.elapsed());
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
}

/// Parses `5s:1s` (freeze for 1 s at the start of every 5 s).
pub fn parse_stall(text: &str) -> Result<Stall, String> {
    let (every, length) = text
        .split_once(':')
        .ok_or_else(|| format!("\"{text}\" is not EVERY:FOR (e.g. \"5s:1s\")"))?;
    let every = humantime::parse_duration(every.trim()).map_err(|e| format!("EVERY: {e}"))?;
    let length = humantime::parse_duration(length.trim()).map_err(|e| format!("FOR: {e}"))?;
    if length.is_zero() || length >= every {
        return Err(format!(
            "the freeze ({}) must be longer than 0 and shorter than its period ({})",
            humantime::format_duration(length),
            humantime::format_duration(every)
        ));
    }
    Ok(Stall { every, length })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freezes_at_the_start_of_each_period() {
        let s = parse_stall("5s:1s").unwrap();
        let ms = Duration::from_millis;
        assert_eq!(s.wait_at(ms(0)), ms(1000));
        assert_eq!(s.wait_at(ms(400)), ms(600));
        assert_eq!(s.wait_at(ms(1000)), Duration::ZERO);
        assert_eq!(s.wait_at(ms(4999)), Duration::ZERO);
        assert_eq!(s.wait_at(ms(5250)), ms(750));
        assert!(parse_stall("1s:2s").is_err());
        assert!(parse_stall("5s").is_err());
    }
}
