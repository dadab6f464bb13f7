//! The limits every input obeys, whether it comes from a profile or the command
//! line: one place, so `validate`, `run` and the keys agree. Each bound keeps the
//! arithmetic the engine does on it (instants, sums of stages, task counts) far
//! from overflow, and each is documented in the README and `profiles/README.md`.

use std::time::Duration;

/// The longest duration anything takes: a stage, the whole schedule, a timeout,
/// a think time, `graceful_stop`, `--duration`. Past it a value is a typo.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);
/// How `MAX_DURATION` reads in messages.
pub const MAX_DURATION_TEXT: &str = "1 year";
/// The most VUs a run may ask for, by `--vus`, a stage target or a key
/// (a typo must not spawn millions of tasks).
pub const MAX_VUS: u32 = 100_000;
/// The most redirect hops a request may follow (`follow_redirects`); curl's
/// default is 50, browsers stop at about 20.
pub const MAX_REDIRECTS: u32 = 100;
/// Redirect hops followed when nothing says otherwise (as oha and Locust do).
pub const DEFAULT_REDIRECTS: u32 = 10;
/// The largest profile file read (profiles are hand-written; this stops
/// `validate /dev/zero` or a mistyped path to a log file).
pub const MAX_PROFILE_BYTES: u64 = 4 * 1024 * 1024;

/// An input past one of these limits; the message quotes the value and says the limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("\"{text}\" is not a duration (e.g. 500ms, 10s, 1m30s): {reason}")]
    NotADuration { text: String, reason: String },
    /// `source` about the value written as `text`.
    #[error("\"{text}\": {source}")]
    Written {
        text: String,
        source: Box<LimitError>,
    },
    #[error("\"{text}\" must be above 0")]
    Zero { text: String },
    #[error("{} is longer than the {MAX_DURATION_TEXT} limit", humantime::format_duration(*.0))]
    TooLong(Duration),
    #[error("they add up to more than the {MAX_DURATION_TEXT} limit")]
    TotalTooLong,
    #[error("{0}/s is above the rate limit of {MAX_RATE}/s")]
    RateTooHigh(u64),
    #[error("{0} VUs is above the limit of {MAX_VUS}")]
    TooManyVus(u64),
    /// A schedule whose stages together pass [`MAX_DURATION`].
    #[error("the stages are too long: {0}")]
    StagesTooLong(Box<LimitError>),
}

/// Parses a humantime duration (`500ms`, `10s`, `1m30s`) no longer than
/// [`MAX_DURATION`]. The message quotes the text and says how to fix it.
pub fn parse_duration(text: &str) -> Result<Duration, LimitError> {
    let text = text.trim();
    let d = humantime::parse_duration(text).map_err(|e| LimitError::NotADuration {
        text: text.to_string(),
        reason: e.to_string(),
    })?;
    check_duration(d).map_err(|why| LimitError::Written {
        text: text.to_string(),
        source: Box::new(why),
    })
}

/// Like [`parse_duration`], but zero is refused too.
pub fn parse_positive_duration(text: &str) -> Result<Duration, LimitError> {
    let d = parse_duration(text)?;
    if d.is_zero() {
        return Err(LimitError::Zero {
            text: text.trim().to_string(),
        });
    }
    Ok(d)
}

/// Refuses a duration above [`MAX_DURATION`].
pub fn check_duration(d: Duration) -> Result<Duration, LimitError> {
    if d > MAX_DURATION {
        return Err(LimitError::TooLong(d));
    }
    Ok(d)
}

/// The sum of `durations`, refused past [`MAX_DURATION`] (checked, never overflowing).
pub fn total_duration(
    durations: impl IntoIterator<Item = Duration>,
) -> Result<Duration, LimitError> {
    let mut total = Duration::ZERO;
    for d in durations {
        total = total
            .checked_add(d)
            .filter(|t| *t <= MAX_DURATION)
            .ok_or(LimitError::TotalTooLong)?;
    }
    Ok(total)
}

/// The highest arrival rate (per second) the open model takes: well past what one
/// loader sends, low enough that a typo does not schedule billions.
pub const MAX_RATE: u32 = 1_000_000;

/// Refuses an arrival rate above [`MAX_RATE`].
pub fn check_rate(rate: u64) -> Result<u32, LimitError> {
    match u32::try_from(rate) {
        Ok(r) if r <= MAX_RATE => Ok(r),
        _ => Err(LimitError::RateTooHigh(rate)),
    }
}

/// Refuses a VU count above [`MAX_VUS`].
pub fn check_vus(vus: u64) -> Result<u32, LimitError> {
    match u32::try_from(vus) {
        Ok(v) if v <= MAX_VUS => Ok(v),
        _ => Err(LimitError::TooManyVus(vus)),
    }
}

/// `"100KB"`, `"2MB"`, `"1.5MiB"`, `"512"` → bytes. KB/MB/GB are powers of 1000,
/// KiB/MiB/GiB of 1024; a bare number is bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("bad size \"{t}\": expected a number and a unit, e.g. \"100KB\""))?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" | "k" => 1_000,
        "mb" | "m" => 1_000_000,
        "gb" | "g" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        other => {
            return Err(format!(
                "bad size \"{t}\": unknown unit \"{other}\" (use B, KB, MB, GB, KiB, MiB or GiB)"
            ));
        }
    };
    let bytes = number * scale as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes > (1u64 << 40) as f64 {
        return Err(format!("size \"{t}\" must be from 1 byte to 1 TiB"));
    }
    Ok(bytes.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_bounded() {
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("365d").is_ok());
        for bad in ["366d", "2y", "500000000000y", "99999999999999999999999s"] {
            let err = parse_duration(bad).unwrap_err().to_string();
            assert!(err.contains(bad), "{err}");
        }
        assert!(
            parse_positive_duration("0s")
                .unwrap_err()
                .to_string()
                .contains("above 0")
        );
        assert!(total_duration([MAX_DURATION, Duration::from_secs(1)]).is_err());
        assert!(total_duration([Duration::MAX, Duration::MAX]).is_err());
    }

    #[test]
    fn vus_are_bounded() {
        assert_eq!(check_vus(100_000), Ok(100_000));
        assert!(check_vus(100_001).is_err());
        assert!(check_vus(u64::MAX).is_err());
    }
}
