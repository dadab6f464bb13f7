//! `[REQUEST.]METRIC OP VALUE` → [`Threshold`].
//!
//! Request names may contain dots (`api.v2.p99.9`), so the metric is found by
//! trying the whole left side first, then each split at a `.` from the right.

use super::{Op, Stat, Threshold};
use crate::outcome::OutcomeClass;

/// What kind of value a metric compares against (decides the units accepted).
#[derive(Clone, Copy)]
enum Kind {
    /// Milliseconds; written `500ms`, `1s`, `250us` or a bare number of ms.
    Latency,
    /// A fraction; written `1%` or `0.01`.
    Rate,
    /// Requests per second; a bare number (`/s` or `rps` suffix allowed).
    PerSecond,
}

/// Why a threshold expression does not parse; every message quotes the expression.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ThresholdError {
    #[error(
        "threshold \"{text}\" has no comparison; write METRIC OP VALUE, e.g. \"p95 < 500ms\" (OP is one of <, <=, >, >=)"
    )]
    NoComparison { text: String },
    #[error("threshold \"{text}\": unsupported comparison; use one of <, <=, >, >=")]
    UnsupportedComparison { text: String },
    #[error("threshold \"{text}\" has no metric before \"{op}\"; e.g. \"p95 < 500ms\"")]
    NoMetric { text: String, op: &'static str },
    #[error(
        "unknown metric \"{lhs}\" in threshold \"{text}\"; valid metrics: {VALID_METRICS}, optionally prefixed by a request name (\"ping.p95\")"
    )]
    UnknownMetric { lhs: String, text: String },
    #[error("threshold \"{text}\" has no value after \"{op}\"; e.g. \"{lhs} {op} {example}\"")]
    NoValue {
        text: String,
        lhs: String,
        op: &'static str,
        example: &'static str,
    },
    #[error("threshold \"{text}\": {why}")]
    BadValue { text: String, why: String },
    /// A `--threshold` naming a request or flow the profile does not have.
    #[error("\"{expr}\": no request or flow is named \"{name}\"")]
    UnknownName { expr: String, name: String },
}

impl ThresholdError {
    /// The same error with `from` read as `to` in every quoted text: a custom rate
    /// metric is parsed as `error_rate` and reported under its own name.
    pub fn renamed(self, from: &str, to: &str) -> ThresholdError {
        let r = |s: String| s.replace(from, to);
        match self {
            ThresholdError::NoComparison { text } => ThresholdError::NoComparison { text: r(text) },
            ThresholdError::UnsupportedComparison { text } => {
                ThresholdError::UnsupportedComparison { text: r(text) }
            }
            ThresholdError::NoMetric { text, op } => ThresholdError::NoMetric { text: r(text), op },
            ThresholdError::UnknownMetric { lhs, text } => ThresholdError::UnknownMetric {
                lhs: r(lhs),
                text: r(text),
            },
            ThresholdError::NoValue {
                text,
                lhs,
                op,
                example,
            } => ThresholdError::NoValue {
                text: r(text),
                lhs: r(lhs),
                op,
                example,
            },
            ThresholdError::BadValue { text, why } => ThresholdError::BadValue {
                text: r(text),
                why: r(why),
            },
            ThresholdError::UnknownName { expr, name } => ThresholdError::UnknownName {
                expr: r(expr),
                name: r(name),
            },
        }
    }
}

/// Parses a threshold such as `"p95 < 500ms"`, `"error_rate < 1%"`,
/// `"ping.p99.9 <= 1s"`, `"429_rate < 0.5%"` or `"rps > 100"`.
pub fn parse_threshold(expr: &str) -> Result<Threshold, ThresholdError> {
    let text = expr.trim();
    let Some(op_at) = text.find(['<', '>', '=', '!']) else {
        return Err(ThresholdError::NoComparison { text: text.into() });
    };
    let (lhs, rest) = text.split_at(op_at);
    let (op, value) = if let Some(v) = rest.strip_prefix("<=") {
        (Op::Le, v)
    } else if let Some(v) = rest.strip_prefix(">=") {
        (Op::Ge, v)
    } else if let Some(v) = rest.strip_prefix('<') {
        (Op::Lt, v)
    } else if let Some(v) = rest.strip_prefix('>') {
        (Op::Gt, v)
    } else {
        return Err(ThresholdError::UnsupportedComparison { text: text.into() });
    };
    let lhs = lhs.trim();
    if lhs.is_empty() {
        return Err(ThresholdError::NoMetric {
            text: text.into(),
            op: op.symbol(),
        });
    }
    let (request, metric, stat, kind) =
        split_metric(lhs).ok_or_else(|| ThresholdError::UnknownMetric {
            lhs: lhs.into(),
            text: text.into(),
        })?;
    let value: String = value.split_whitespace().collect();
    if value.is_empty() {
        return Err(ThresholdError::NoValue {
            text: text.into(),
            lhs: lhs.into(),
            op: op.symbol(),
            example: example(kind),
        });
    }
    let limit = parse_value(&value, kind).map_err(|why| ThresholdError::BadValue {
        text: text.into(),
        why,
    })?;
    let prefix = request.map(|r| format!("{r}.")).unwrap_or_default();
    Ok(Threshold {
        expr: format!("{prefix}{metric} {} {value}", op.symbol()),
        request: request.map(str::to_string),
        stat,
        op,
        limit,
        allow_empty: false,
    })
}

/// Listed in error messages.
const VALID_METRICS: &str = "p50, p75, p90, p95, p99, p99.9 (any pNN or pNN.N), min, max, med, avg, \
     error_rate, rps, 429_rate, 4xx_rate, 500_rate, 5xx_rate, timeout_rate, connect_rate, \
     tls_rate, dns_rate, protocol_rate, check_rate, setup_rate";

/// Splits `[REQUEST.]METRIC`: the whole text as a metric first, then at each `.` from the right.
fn split_metric(lhs: &str) -> Option<(Option<&str>, String, Stat, Kind)> {
    if let Some((metric, stat, kind)) = parse_metric(lhs) {
        return Some((None, metric, stat, kind));
    }
    lhs.char_indices()
        .rev()
        .filter(|&(_, c)| c == '.')
        .find_map(|(dot, _)| {
            let request = lhs[..dot].trim();
            let (metric, stat, kind) = parse_metric(&lhs[dot + 1..])?;
            (!request.is_empty()).then_some((Some(request), metric, stat, kind))
        })
}

/// One metric name (case-insensitive) → its canonical spelling, statistic and value kind.
fn parse_metric(text: &str) -> Option<(String, Stat, Kind)> {
    let name = text.trim().to_ascii_lowercase();
    let stat = match name.as_str() {
        "min" => Stat::Percentile { pct: 0.0 },
        "max" => Stat::Percentile { pct: 100.0 },
        "med" | "median" => Stat::Percentile { pct: 50.0 },
        "avg" | "mean" => Stat::Mean,
        "error_rate" => return Some((name, Stat::ErrorRate, Kind::Rate)),
        "dropped_rate" => return Some((name, Stat::DroppedRate, Kind::Rate)),
        "rps" => return Some((name, Stat::Rps, Kind::PerSecond)),
        _ => {
            if let Some(label) = name.strip_suffix("_rate") {
                let class = OutcomeClass::from_label(label).filter(|c| c.is_error())?;
                return Some((name, Stat::ClassRate { class }, Kind::Rate));
            }
            let pct = parse_percentile(name.strip_prefix('p')?)?;
            Stat::Percentile { pct }
        }
    };
    Some((name, stat, Kind::Latency))
}

/// `95`, `99.9` → the percentile; only plain decimal digits (no `1e2`, `inf`, sign).
fn parse_percentile(digits: &str) -> Option<f64> {
    let plain = !digits.is_empty()
        && !digits.starts_with('.')
        && !digits.ends_with('.')
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.');
    let pct: f64 = digits.parse().ok().filter(|_| plain)?;
    (0.0..=100.0).contains(&pct).then_some(pct)
}

fn example(kind: Kind) -> &'static str {
    match kind {
        Kind::Latency => "500ms",
        Kind::Rate => "1%",
        Kind::PerSecond => "100",
    }
}

/// The value in canonical units (ms, fraction, per second).
fn parse_value(value: &str, kind: Kind) -> Result<f64, String> {
    let split = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: f64 = number
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite())
        .ok_or_else(|| {
            format!(
                "\"{value}\" is not a number with an optional unit, e.g. \"{}\"",
                example(kind)
            )
        })?;
    match kind {
        Kind::Latency => {
            let ms_per_unit = match unit {
                "" | "ms" => 1.0,
                "us" | "µs" => 0.001,
                "s" => 1_000.0,
                "m" | "min" => 60_000.0,
                _ => {
                    return Err(format!(
                        "unknown duration unit \"{unit}\" in \"{value}\"; use us, ms, s or m (a bare number means ms)"
                    ));
                }
            };
            Ok(number * ms_per_unit)
        }
        Kind::Rate => {
            let fraction = match unit {
                "%" => number / 100.0,
                "" if number <= 1.0 => number,
                "" => {
                    return Err(format!(
                        "rate \"{value}\" is above 1; write \"{value}%\" for a percentage or a fraction like \"0.01\""
                    ));
                }
                _ => {
                    return Err(format!(
                        "\"{value}\" is not a rate; write a percentage (\"1%\") or a fraction (\"0.01\")"
                    ));
                }
            };
            if fraction > 1.0 {
                return Err(format!("rate \"{value}\" is above 100%"));
            }
            Ok(fraction)
        }
        Kind::PerSecond => match unit {
            "" | "/s" | "rps" => Ok(number),
            _ => Err(format!(
                "\"{value}\" is not a request rate; write a number of requests per second, e.g. \"100\""
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(expr: &str) -> Threshold {
        parse_threshold(expr).unwrap_or_else(|e| panic!("{expr}: {e}"))
    }

    fn err(expr: &str) -> String {
        match parse_threshold(expr) {
            Ok(t) => panic!("{expr} parsed as {t:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn pct(t: &Threshold) -> f64 {
        match t.stat {
            Stat::Percentile { pct } => pct,
            other => panic!("not a percentile: {other:?}"),
        }
    }

    #[test]
    fn percentiles_of_every_form() {
        for (expr, want) in [
            ("p50 < 1s", 50.0),
            ("p75 < 1s", 75.0),
            ("p90 < 1s", 90.0),
            ("p95 < 1s", 95.0),
            ("p99 < 1s", 99.0),
            ("p99.9 < 1s", 99.9),
            ("p99.99 < 1s", 99.99),
            ("p100 < 1s", 100.0),
            ("max < 1s", 100.0),
            ("min < 1s", 0.0),
            ("med < 1s", 50.0),
            ("P95 < 1s", 95.0),
        ] {
            assert_eq!(pct(&ok(expr)), want, "{expr}");
        }
        assert_eq!(ok("avg < 20ms").stat, Stat::Mean);
    }

    #[test]
    fn latency_units_are_milliseconds() {
        assert_eq!(ok("p95 < 500ms").limit, 500.0);
        assert_eq!(ok("p95 < 1s").limit, 1000.0);
        assert_eq!(ok("p95 < 1.5s").limit, 1500.0);
        assert_eq!(ok("p95 < 250us").limit, 0.25);
        assert_eq!(ok("p95 < 250µs").limit, 0.25);
        assert_eq!(ok("p95 < 2m").limit, 120_000.0);
        assert_eq!(ok("p95 < 300").limit, 300.0);
        assert_eq!(ok("p95 < 500 ms").limit, 500.0);
    }

    #[test]
    fn every_operator() {
        assert_eq!(ok("p95 < 1").op, Op::Lt);
        assert_eq!(ok("p95 <= 1").op, Op::Le);
        assert_eq!(ok("rps > 1").op, Op::Gt);
        assert_eq!(ok("rps >= 1").op, Op::Ge);
        assert_eq!(ok("p95<1").op, Op::Lt);
    }

    #[test]
    fn rates_are_fractions() {
        let t = ok("error_rate < 10%");
        assert_eq!(t.stat, Stat::ErrorRate);
        assert!((t.limit - 0.1).abs() < 1e-12);
        assert_eq!(ok("error_rate < 0.01").limit, 0.01);
        assert_eq!(ok("error_rate <= 0").limit, 0.0);
        assert_eq!(ok("error_rate < 100%").limit, 1.0);
    }

    #[test]
    fn dropped_rate_is_a_fraction() {
        let t = ok("dropped_rate < 1%");
        assert_eq!(t.stat, Stat::DroppedRate);
        assert!((t.limit - 0.01).abs() < 1e-12);
    }

    #[test]
    fn class_rates_use_outcome_labels() {
        for class in OutcomeClass::errors() {
            let t = ok(&format!("{}_rate < 1%", class.label()));
            assert_eq!(t.stat, Stat::ClassRate { class });
        }
        let e = err("ok_rate < 1%");
        assert!(e.contains("unknown metric \"ok_rate\""), "{e}");
    }

    #[test]
    fn rps_is_per_second() {
        let t = ok("rps > 100");
        assert_eq!((t.stat, t.limit), (Stat::Rps, 100.0));
        assert_eq!(ok("rps > 100/s").limit, 100.0);
        assert_eq!(ok("rps >= 12.5").limit, 12.5);
    }

    #[test]
    fn request_prefix_splits_on_the_last_valid_dot() {
        let t = ok("ping.p95 < 200ms");
        assert_eq!(t.request.as_deref(), Some("ping"));
        assert_eq!(pct(&t), 95.0);
        let t = ok("ping.p99.9 < 1s");
        assert_eq!(t.request.as_deref(), Some("ping"));
        assert_eq!(pct(&t), 99.9);
        let t = ok("api.v2.items.error_rate < 1%");
        assert_eq!(t.request.as_deref(), Some("api.v2.items"));
        assert_eq!(t.stat, Stat::ErrorRate);
        let t = ok("login.429_rate < 1%");
        assert_eq!(t.request.as_deref(), Some("login"));
        assert_eq!(ok("p99.9 < 1s").request, None);
    }

    #[test]
    fn expr_is_normalised() {
        assert_eq!(ok("  ping.p95<200 ms ").expr, "ping.p95 < 200ms");
        assert_eq!(ok("P95 <= 1s").expr, "p95 <= 1s");
        assert_eq!(ok("error_rate<1%").expr, "error_rate < 1%");
    }

    #[test]
    fn unknown_metric_lists_valid_ones() {
        let e = err("p95x < 1s");
        assert!(e.contains("unknown metric \"p95x\""), "{e}");
        assert!(e.contains("error_rate") && e.contains("p99.9"), "{e}");
        assert!(err("latency < 1s").contains("unknown metric"));
        assert!(err("p101 < 1s").contains("unknown metric"));
        assert!(err("p < 1s").contains("unknown metric"));
        assert!(err(".p95 < 1s").contains("unknown metric"));
        assert!(err("teapot_rate < 1%").contains("unknown metric"));
    }

    #[test]
    fn operator_errors() {
        assert!(err("p95 500ms").contains("no comparison"));
        assert!(err("p95 == 500ms").contains("unsupported comparison"));
        assert!(err("p95 = 500ms").contains("unsupported comparison"));
        assert!(err("< 500ms").contains("no metric"));
        assert!(err("p95 <").contains("no value"));
    }

    #[test]
    fn value_errors() {
        assert!(err("p95 < 10x").contains("unknown duration unit \"x\""));
        assert!(err("p95 < fast").contains("is not a number"));
        assert!(err("p95 < -5ms").contains("is not a number"));
        assert!(err("error_rate < 5").contains("above 1"));
        assert!(err("error_rate < 150%").contains("above 100%"));
        assert!(err("error_rate < 5ms").contains("not a rate"));
        assert!(err("rps > 1s").contains("not a request rate"));
    }
}
