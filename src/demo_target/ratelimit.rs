//! The shared token bucket behind `/limited`.
//!
//! Implemented as GCRA (the "virtual scheduling" form of a token bucket): one atomic holds the
//! theoretical arrival time of the next request, so admitting a request is a compare-and-swap
//! instead of a lock. A bucket of `burst` tokens refilled at `rate_per_sec` admits exactly what
//! this admits.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A token bucket shared by every client of the target.
#[derive(Debug)]
pub struct RateLimiter {
    /// Time zero for `tat_ns`.
    epoch: Instant,
    /// Nanoseconds between two tokens; 0 disables the limit.
    interval_ns: u64,
    /// How far ahead of now the theoretical arrival time may run: `burst × interval`.
    tolerance_ns: u64,
    /// Theoretical arrival time (ns since `epoch`) of the next conforming request.
    tat_ns: AtomicU64,
}

impl RateLimiter {
    /// `rate_per_sec` tokens per second with a bucket of `burst` tokens (starts full).
    /// A rate of 0 admits everything.
    pub fn new(rate_per_sec: u32, burst: u32) -> Self {
        let interval_ns = if rate_per_sec == 0 {
            0
        } else {
            1_000_000_000 / u64::from(rate_per_sec)
        };
        Self {
            epoch: Instant::now(),
            interval_ns,
            tolerance_ns: interval_ns * u64::from(burst.max(1)),
            tat_ns: AtomicU64::new(0),
        }
    }

    /// Takes a token, or says how long until one is available.
    pub fn check(&self) -> Result<(), Duration> {
        self.check_at(self.epoch.elapsed())
    }

    fn check_at(&self, now: Duration) -> Result<(), Duration> {
        if self.interval_ns == 0 {
            return Ok(());
        }
        let now_ns = u64::try_from(now.as_nanos()).unwrap_or(u64::MAX);
        let mut tat = self.tat_ns.load(Ordering::Relaxed);
        loop {
            let next = tat.max(now_ns) + self.interval_ns;
            let ahead = next - now_ns;
            if ahead > self.tolerance_ns {
                return Err(Duration::from_nanos(ahead - self.tolerance_ns));
            }
            match self
                .tat_ns
                .compare_exchange_weak(tat, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return Ok(()),
                Err(current) => tat = current,
            }
        }
    }
}

/// `Retry-After` wants whole seconds; round up so a client that obeys it finds a token.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_one_token_per_interval() {
        let limiter = RateLimiter::new(10, 5);
        let t0 = Duration::from_secs(1);
        for _ in 0..5 {
            assert!(limiter.check_at(t0).is_ok());
        }
        let wait = limiter.check_at(t0).expect_err("bucket empty");
        assert_eq!(wait, Duration::from_millis(100));
        assert!(limiter.check_at(t0 + Duration::from_millis(100)).is_ok());
        assert!(limiter.check_at(t0 + Duration::from_millis(100)).is_err());
    }

    #[test]
    fn zero_rate_is_unlimited() {
        let limiter = RateLimiter::new(0, 0);
        for _ in 0..1000 {
            assert!(limiter.check().is_ok());
        }
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::from_millis(2001)), 3);
    }
}
