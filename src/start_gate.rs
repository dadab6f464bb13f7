//! `--start-at TIME` / `--start-after DURATION`: a run waits for its agreed
//! start, so agents on several machines given the same time start together (and
//! `merge` then lines up their seconds by wall clock).
//!
//! The run is set up at once (the dashboard opens with a countdown in its
//! header) but its clock begins at the agreed time: the session's start instant
//! and `started_at` are that time, and the engine waits for it before its first
//! VU or arrival. A start time already past is refused, unless it is within
//! [`PAST_GRACE`] (a slow scheduler starting an agent a moment late): then the
//! run starts at once.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// How far in the past a `--start-at` may be and still start at once.
pub const PAST_GRACE: Duration = Duration::from_secs(5);
/// How far ahead a start may be: further is a typo (a wrong year or day).
pub const MAX_WAIT: Duration = Duration::from_secs(7 * 24 * 3600);

/// A start time the run cannot keep.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    #[error(
        "--start-at {at} is {late} in the past (more than the {grace} grace): \
         give a time in the future, e.g. --start-at {example}"
    )]
    Past {
        at: String,
        late: String,
        grace: String,
        example: String,
    },
    #[error("the start is {ahead} away, more than the {max} a run may wait: check the date")]
    TooFar { ahead: String, max: String },
}

/// When the run starts: `None` for at once, else the agreed wall-clock time.
pub fn start_time(
    start_at: Option<DateTime<Utc>>,
    start_after: Option<Duration>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StartError> {
    let at = match (start_at, start_after) {
        (_, Some(after)) => {
            let after = chrono::Duration::from_std(after.min(MAX_WAIT * 2)).unwrap_or_default();
            now + after
        }
        (Some(at), None) => at,
        (None, None) => return Ok(None),
    };
    let ahead = (at - now).to_std().unwrap_or_default();
    if ahead > MAX_WAIT {
        return Err(StartError::TooFar {
            ahead: humantime::format_duration(Duration::from_secs(ahead.as_secs())).to_string(),
            max: humantime::format_duration(MAX_WAIT).to_string(),
        });
    }
    let late = (now - at).to_std().unwrap_or_default();
    if late > PAST_GRACE {
        let example = (now + chrono::Duration::minutes(1)).format("%Y-%m-%dT%H:%M:00Z");
        return Err(StartError::Past {
            at: at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            late: humantime::format_duration(Duration::from_secs(late.as_secs())).to_string(),
            grace: humantime::format_duration(PAST_GRACE).to_string(),
            example: example.to_string(),
        });
    }
    Ok(Some(at))
}

/// The line announcing the wait ("waiting until 2026-12-01T10:00:00Z (in 29s)").
pub fn waiting_line(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    format!(
        "waiting until {} (in {}) to start",
        at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        countdown(at, now)
    )
}

/// The time left, to the second, rounded up ("29s", "1m 5s").
pub fn countdown(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let left = (at - now).to_std().unwrap_or_default();
    // Rounded up: "1s" until the very start, never "0s" while still waiting.
    let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    humantime::format_duration(Duration::from_secs(secs)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_future_time_is_kept_and_a_past_one_refused_beyond_the_grace() {
        let now = t("2026-12-01T10:00:00Z");
        let at = t("2026-12-01T10:00:30Z");
        assert_eq!(start_time(Some(at), None, now), Ok(Some(at)));
        let slightly_late = t("2026-12-01T09:59:57Z");
        assert_eq!(
            start_time(Some(slightly_late), None, now),
            Ok(Some(slightly_late))
        );
        let err = start_time(Some(t("2026-12-01T09:59:00Z")), None, now).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("1m in the past"), "{text}");
        assert!(text.contains("2026-12-01T10:01:00Z"), "{text}");
        assert_eq!(start_time(None, None, now), Ok(None));
        assert_eq!(
            start_time(None, Some(Duration::from_secs(30)), now),
            Ok(Some(at))
        );
        let far = start_time(Some(t("2027-12-01T10:00:00Z")), None, now).unwrap_err();
        assert!(far.to_string().contains("check the date"), "{far}");
        assert!(start_time(None, Some(MAX_WAIT * 3), now).is_err());
    }

    #[test]
    fn the_countdown_rounds_up_to_the_second() {
        let now = t("2026-12-01T10:00:00Z");
        assert_eq!(countdown(t("2026-12-01T10:01:05Z"), now), "1m 5s");
        assert_eq!(countdown(t("2026-12-01T10:00:00.2Z"), now), "1s");
        assert_eq!(
            waiting_line(t("2026-12-01T10:00:29Z"), now),
            "waiting until 2026-12-01T10:00:29Z (in 29s) to start"
        );
    }
}
