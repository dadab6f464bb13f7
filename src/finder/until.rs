//! `--until` conditions: `p95 > 500ms or error_rate > 5% or p95 > 1.5x baseline`.
//! Each is a threshold expression (the same grammar) that *ends* the search when
//! it holds; `Nx baseline` compares with the first step's own reading. The
//! target's health reads as in thresholds (`target.mem > 85%`, `target.cpu > 80%`,
//! `target.rss > 1GB`, `watch.NAME > X` from `--watch-url`), over the step's
//! judged half.

use crate::threshold::{Stat, Threshold, parse_threshold};

/// One condition; true means the step broke.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub threshold: Threshold,
    /// `Some(f)`: the limit is `f` times the first step's reading.
    pub baseline_factor: Option<f64>,
    /// As written.
    pub text: String,
}

impl Condition {
    /// Whether the condition holds for `value`, with the first step's reading.
    pub fn holds(&self, value: f64, baseline: Option<f64>) -> bool {
        let limit = match (self.baseline_factor, baseline) {
            (Some(f), Some(b)) => f * b,
            // The first step is its own baseline: a relative condition cannot fail it.
            (Some(_), None) => return false,
            (None, _) => self.threshold.limit,
        };
        self.threshold.op.holds(value, limit)
    }

    pub fn stat(&self) -> Stat {
        self.threshold.stat
    }
}

/// Parses `A or B or …` (case-insensitive `or`, also `||`). Metric names keep
/// their case (`watch.NAME` reads a case-sensitive Prometheus name).
pub fn parse_until(text: &str) -> Result<Vec<Condition>, String> {
    let text = text.replace("||", " or ");
    // ASCII lower-casing keeps byte offsets, so positions found here cut `text`.
    let lowered = text.to_ascii_lowercase();
    let mut conditions = Vec::new();
    let mut start = 0;
    loop {
        let (end, next) = match lowered[start..].find(" or ") {
            Some(i) => (start + i, Some(start + i + 4)),
            None => (text.len(), None),
        };
        conditions.push(parse_condition(text[start..end].trim())?);
        match next {
            Some(n) => start = n,
            None => break,
        }
    }
    Ok(conditions)
}

fn parse_condition(text: &str) -> Result<Condition, String> {
    if text.is_empty() {
        return Err("an empty condition (expected e.g. \"p95 > 500ms or error_rate > 5%\")".into());
    }
    let lowered = text.to_ascii_lowercase();
    let (expr, factor) = match lowered
        .strip_suffix("baseline")
        .map(|head| text[..head.len()].trim_end())
    {
        Some(head) => {
            let number_start = head
                .rfind(|c: char| !(c.is_ascii_digit() || c == '.' || c == 'x' || c == 'X'))
                .map_or(0, |i| i + 1);
            let factor_text = head[number_start..].trim_end_matches(['x', 'X']);
            let factor: f64 = factor_text.parse().map_err(|_| {
                format!("\"{text}\": write a relative limit as e.g. \"p95 > 1.5x baseline\"")
            })?;
            if factor <= 0.0 {
                return Err(format!("\"{text}\": the factor must be above 0"));
            }
            // Parse the metric and operator with a placeholder value of its kind.
            let head = head[..number_start].trim_end();
            (format!("{head} {}", placeholder(head)), Some(factor))
        }
        None => (text.to_string(), None),
    };
    let threshold = parse_threshold(&expr).map_err(|e| format!("\"{text}\": {e}"))?;
    if threshold.request.is_some() {
        return Err(format!(
            "\"{text}\": find-limit conditions read the whole run; drop the request name"
        ));
    }
    Ok(Condition {
        threshold,
        baseline_factor: factor,
        text: text.to_string(),
    })
}

/// A value of the metric's kind, for parsing `metric op` before a relative limit:
/// the first of one value of each kind that the metric accepts.
fn placeholder(head: &str) -> &'static str {
    ["1ms", "1%", "1", "1MB/min"]
        .into_iter()
        .find(|v| parse_threshold(&format!("{head} {v}")).is_ok())
        .unwrap_or("1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::threshold::Op;

    #[test]
    fn parses_alternatives_and_relative_limits() {
        let c = parse_until("p95 > 500ms or ERROR_RATE > 5% || p99 > 1.5x baseline").unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].threshold.op, Op::Gt);
        assert!((c[0].threshold.limit - 500.0).abs() < 1e-9);
        assert!((c[1].threshold.limit - 0.05).abs() < 1e-12);
        assert_eq!(c[2].baseline_factor, Some(1.5));
        assert_eq!(c[2].stat(), Stat::Percentile { pct: 99.0 });
        assert!(
            !c[2].holds(1000.0, None),
            "no baseline yet: the first step passes"
        );
        assert!(c[2].holds(16.0, Some(10.0)));
        assert!(!c[2].holds(14.0, Some(10.0)));
    }

    #[test]
    fn bad_conditions_say_why() {
        assert!(parse_until("p95 > ").unwrap_err().contains("p95"));
        assert!(parse_until("p95 > 500ms or").is_err());
        assert!(
            parse_until("p95 > zx baseline")
                .unwrap_err()
                .contains("1.5x baseline")
        );
        assert!(
            parse_until("ping.p95 > 1s")
                .unwrap_err()
                .contains("whole run")
        );
    }

    #[test]
    fn target_health_and_watched_metrics_are_conditions() {
        use crate::threshold::HealthMetric;
        let c = parse_until(
            "target.mem > 85% or target.cpu > 80% or target.rss > 1GB or watch.queue_depth > 100 \
             or target.rss > 2x baseline",
        )
        .unwrap();
        let metrics: Vec<_> = c.iter().map(|c| c.stat().health().unwrap()).collect();
        assert_eq!(
            metrics,
            [
                HealthMetric::TargetMem,
                HealthMetric::TargetCpu,
                HealthMetric::TargetRss,
                HealthMetric::Watch,
                HealthMetric::TargetRss,
            ]
        );
        assert_eq!(c[0].threshold.limit, 85.0);
        assert_eq!(c[2].threshold.limit, 1e9);
        assert_eq!(c[3].threshold.watch.as_deref(), Some("queue_depth"));
        assert!(c[4].holds(2.5e9, Some(1e9)));
    }
}
