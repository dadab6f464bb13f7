//! `loadpilot compare BEFORE AFTER`: per request and overall, rps, latency
//! percentiles and error rates by class, with the absolute and relative change
//! and a verdict per row; `--fail-if` rules turn regressions into exit code 99.

use std::fmt::Write as _;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Table};
use serde::Serialize;

use crate::cli::CompareFormat;
use crate::outcome::OutcomeClass;
use crate::report::{ScopeSummary, Summary};
use crate::snapshot::{Snapshot, SnapshotError};

/// Changes smaller than these are noise: latency 5% (and at least 0.5 ms), rps 5%,
/// rates 0.1 percentage points.
const LATENCY_NOISE_REL: f64 = 0.05;
const LATENCY_NOISE_MS: f64 = 0.5;
const RPS_NOISE_REL: f64 = 0.05;
const RATE_NOISE_ABS: f64 = 0.001;

/// What a row measures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Rps,
    P50,
    P95,
    P99,
    ErrorRate,
    /// Share of requests in one error class.
    ClassRate(OutcomeClass),
}

impl Metric {
    pub fn label(self) -> String {
        match self {
            Metric::Rps => "rps".into(),
            Metric::P50 => "p50".into(),
            Metric::P95 => "p95".into(),
            Metric::P99 => "p99".into(),
            Metric::ErrorRate => "error_rate".into(),
            Metric::ClassRate(c) => format!("{}_rate", c.label()),
        }
    }

    fn parse(text: &str) -> Option<Metric> {
        Some(match text {
            "rps" => Metric::Rps,
            "p50" => Metric::P50,
            "p95" => Metric::P95,
            "p99" => Metric::P99,
            "error_rate" => Metric::ErrorRate,
            other => Metric::ClassRate(
                OutcomeClass::from_label(other.strip_suffix("_rate")?).filter(|c| c.is_error())?,
            ),
        })
    }

    fn is_latency(self) -> bool {
        matches!(self, Metric::P50 | Metric::P95 | Metric::P99)
    }

    fn is_rate(self) -> bool {
        matches!(self, Metric::ErrorRate | Metric::ClassRate(_))
    }

    fn value(self, s: &ScopeSummary) -> f64 {
        match self {
            Metric::Rps => s.rps,
            Metric::P50 => s.p50_ms,
            Metric::P95 => s.p95_ms,
            Metric::P99 => s.p99_ms,
            Metric::ErrorRate => s.error_rate,
            Metric::ClassRate(c) => {
                let n = s.classes.get(c.label()).copied().unwrap_or(0);
                if s.count == 0 {
                    0.0
                } else {
                    n as f64 / s.count as f64
                }
            }
        }
    }

    fn show(self, v: f64) -> String {
        if self.is_latency() {
            crate::format::ms_fixed(v)
        } else if self.is_rate() {
            format!("{:.2}%", v * 100.0)
        } else {
            format!("{v:.1}/s")
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Better,
    Worse,
    WithinNoise,
}

impl Verdict {
    fn label(self) -> &'static str {
        match self {
            Verdict::Better => "better",
            Verdict::Worse => "WORSE",
            Verdict::WithinNoise => "within noise",
        }
    }
}

/// One compared figure.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// `overall` or a request name.
    pub scope: String,
    pub metric: Metric,
    pub before: f64,
    pub after: f64,
    pub change: f64,
    /// Relative change (0.3 = +30%); `None` when `before` is 0.
    pub relative: Option<f64>,
    pub verdict: Verdict,
}

impl Row {
    fn new(scope: &str, metric: Metric, before: &ScopeSummary, after: &ScopeSummary) -> Row {
        let (b, a) = (metric.value(before), metric.value(after));
        let change = a - b;
        let relative = (b != 0.0).then(|| change / b);
        let rel = relative.unwrap_or(if change == 0.0 {
            0.0
        } else {
            f64::INFINITY * change.signum()
        });
        let noise = if metric.is_latency() {
            rel.abs() <= LATENCY_NOISE_REL || change.abs() < LATENCY_NOISE_MS
        } else if metric.is_rate() {
            change.abs() < RATE_NOISE_ABS
        } else {
            rel.abs() <= RPS_NOISE_REL
        };
        // More throughput is better; more latency or errors is worse.
        let higher_is_better = metric == Metric::Rps;
        let verdict = if noise {
            Verdict::WithinNoise
        } else if (change > 0.0) == higher_is_better {
            Verdict::Better
        } else {
            Verdict::Worse
        };
        Row {
            scope: scope.into(),
            metric,
            before: b,
            after: a,
            change,
            relative,
            verdict,
        }
    }
}

/// A `--fail-if` rule that does not parse: the rule as written and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{rule}\": {problem}")]
pub struct FailRuleError {
    pub rule: String,
    pub problem: String,
}

/// A regression gate: `[REQUEST.]METRIC +N%`, `+Nms`, or for rps `-N%`.
#[derive(Debug, Clone, PartialEq)]
pub struct FailRule {
    pub text: String,
    pub request: Option<String>,
    pub metric: Metric,
    /// Relative limit (0.1 for 10%), or absolute in the metric's unit (ms, or a
    /// fraction for rates).
    pub limit: f64,
    pub relative: bool,
}

impl FailRule {
    pub fn parse(text: &str) -> Result<FailRule, FailRuleError> {
        let err = |problem: String| FailRuleError {
            rule: text.trim().to_string(),
            problem,
        };
        let (metric_text, change) =
            text.trim().split_once(char::is_whitespace).ok_or_else(|| {
                err(
                    "expected METRIC CHANGE (e.g. \"p95 +10%\", \"error_rate +1%\", \"rps -5%\")"
                        .into(),
                )
            })?;
        let (request, metric_name) = match metric_text.rsplit_once('.') {
            Some((req, m)) if Metric::parse(m).is_some() => (Some(req.to_string()), m),
            _ => (None, metric_text),
        };
        let metric = Metric::parse(metric_name).ok_or_else(|| {
            err(format!("unknown metric \"{metric_name}\" (use p50, p95, p99, rps, error_rate or CLASS_rate)"))
        })?;
        let change = change.trim();
        let sign = match change.chars().next() {
            Some('+') => 1.0,
            Some('-') => -1.0,
            _ => {
                return Err(err(format!(
                    "the change \"{change}\" needs a sign, e.g. +10% or -5%"
                )));
            }
        };
        let want_sign = if metric == Metric::Rps { -1.0 } else { 1.0 };
        if sign != want_sign {
            let example = if metric == Metric::Rps {
                "rps -10%"
            } else {
                "p95 +10%"
            };
            return Err(err(format!(
                "{} regresses in the other direction (e.g. \"{example}\")",
                metric.label()
            )));
        }
        let body = &change[1..];
        let number = |s: &str| {
            s.trim()
                .parse::<f64>()
                .map_err(|_| err(format!("\"{change}\" is not a number")))
        };
        let (limit, relative) = if let Some(p) = body.strip_suffix('%') {
            // For rates a percentage is in points (error_rate +1% = one point more).
            (number(p)? / 100.0, !metric.is_rate())
        } else if metric.is_latency() {
            let d = humantime::parse_duration(body).map_err(|_| {
                err(format!(
                    "\"{change}\" must be a percentage or a duration like +50ms"
                ))
            })?;
            (d.as_secs_f64() * 1000.0, false)
        } else {
            return Err(err(format!("use a percentage for {}", metric.label())));
        };
        Ok(FailRule {
            text: text.trim().to_string(),
            request,
            metric,
            limit,
            relative,
        })
    }

    /// A failure message when `row` breaks the rule.
    fn check(&self, row: &Row) -> Option<String> {
        let scope_matches = match &self.request {
            Some(r) => &row.scope == r,
            None => row.scope == "overall",
        };
        if !scope_matches || row.metric != self.metric {
            return None;
        }
        let regression = if self.metric == Metric::Rps {
            -row.change
        } else {
            row.change
        };
        let broken = if self.relative {
            match row.relative {
                Some(rel) => {
                    (if self.metric == Metric::Rps {
                        -rel
                    } else {
                        rel
                    }) > self.limit
                }
                None => regression > 0.0,
            }
        } else {
            regression > self.limit
        };
        broken.then(|| {
            format!(
                "{}: {} went from {} to {}",
                self.text,
                row.metric.label(),
                row.metric.show(row.before),
                row.metric.show(row.after)
            )
        })
    }
}

/// Two runs side by side.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub before: String,
    pub after: String,
    pub rows: Vec<Row>,
    /// Requests present in only one of the runs.
    pub unmatched: Vec<String>,
    /// The two runs' profile names when they differ: the figures then compare
    /// different workloads, which the header says (and `--strict` refuses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub different_profiles: Option<(String, String)>,
}

impl Comparison {
    pub fn new(before: &Snapshot, after: &Snapshot) -> Result<Comparison, SnapshotError> {
        let b = Summary::from_record(&before.to_record()?);
        let a = Summary::from_record(&after.to_record()?);
        Ok(Comparison::between(
            describe(before),
            &b,
            describe(after),
            &a,
        ))
    }

    /// Two summaries side by side (a saved run against a saved run, or a
    /// headless run against its `--baseline`), each called by its label.
    pub fn between(before: String, b: &Summary, after: String, a: &Summary) -> Comparison {
        let mut rows = Vec::new();
        let mut scopes: Vec<(&str, &ScopeSummary, &ScopeSummary)> =
            vec![("overall", &b.overall, &a.overall)];
        let mut unmatched = Vec::new();
        for r in &b.requests {
            match a.requests.iter().find(|x| x.name == r.name) {
                Some(x) => scopes.push((&r.name, &r.stats, &x.stats)),
                None => unmatched.push(r.name.clone()),
            }
        }
        unmatched.extend(
            a.requests
                .iter()
                .filter(|x| !b.requests.iter().any(|r| r.name == x.name))
                .map(|x| x.name.clone()),
        );
        for (scope, sb, sa) in scopes {
            for metric in [
                Metric::Rps,
                Metric::P50,
                Metric::P95,
                Metric::P99,
                Metric::ErrorRate,
            ] {
                rows.push(Row::new(scope, metric, sb, sa));
            }
            if scope == "overall" {
                for class in OutcomeClass::errors() {
                    if sb.classes.contains_key(class.label())
                        || sa.classes.contains_key(class.label())
                    {
                        rows.push(Row::new(scope, Metric::ClassRate(class), sb, sa));
                    }
                }
            }
        }
        Comparison {
            before,
            after,
            rows,
            unmatched,
            different_profiles: (b.profile != a.profile)
                .then(|| (b.profile.clone(), a.profile.clone())),
        }
    }

    /// The header's warning when the runs come from different profiles.
    pub fn profile_warning(&self) -> Option<String> {
        self.different_profiles.as_ref().map(|(b, a)| {
            format!(
                "warning: the runs come from different profiles (\"{b}\" and \"{a}\"): the figures compare different workloads"
            )
        })
    }

    /// Messages for every rule a row breaks.
    pub fn failures(&self, rules: &[FailRule]) -> Vec<String> {
        rules
            .iter()
            .flat_map(|rule| self.rows.iter().filter_map(|row| rule.check(row)))
            .collect()
    }

    pub fn render(&self, format: CompareFormat, failures: &[String]) -> String {
        match format {
            CompareFormat::Text => self.text(failures),
            CompareFormat::Markdown => self.markdown(failures),
            CompareFormat::Json => {
                let value = serde_json::json!({ "comparison": self, "failures": failures });
                serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
            }
        }
    }

    fn cells(row: &Row) -> [String; 5] {
        let change = if row.metric.is_rate() {
            format!("{:+.2} pp", row.change * 100.0)
        } else if row.metric.is_latency() {
            crate::format::ms_change(row.change)
        } else {
            format!("{:+.1}/s", row.change)
        };
        let relative = row
            .relative
            .map_or("—".to_string(), |r| format!("{:+.1}%", r * 100.0));
        [
            row.metric.show(row.before),
            row.metric.show(row.after),
            change,
            relative,
            row.verdict.label().to_string(),
        ]
    }

    /// The text form with the table wrapped to fit `width` columns.
    pub fn render_text_fitted(&self, failures: &[String], width: u16) -> String {
        self.text_with(failures, Some(width))
    }

    fn text(&self, failures: &[String]) -> String {
        self.text_with(failures, None)
    }

    fn text_with(&self, failures: &[String], width: Option<u16>) -> String {
        let mut out = format!("before: {}\nafter:  {}\n", self.before, self.after);
        if let Some(warning) = self.profile_warning() {
            out.push_str(&warning);
            out.push('\n');
        }
        let mut table = Table::new();
        if let Some(width) = width {
            table
                .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
                .set_width(width);
        }
        table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
            "scope", "metric", "before", "after", "change", "relative", "verdict",
        ]);
        for row in &self.rows {
            let mut cells = vec![Cell::new(&row.scope), Cell::new(row.metric.label())];
            cells.extend(
                Self::cells(row)
                    .into_iter()
                    .map(|c| Cell::new(c).set_alignment(CellAlignment::Right)),
            );
            table.add_row(cells);
        }
        out.push_str(&table.to_string());
        out.push('\n');
        self.notes(&mut out, failures);
        out
    }

    fn markdown(&self, failures: &[String]) -> String {
        let mut md = format!(
            "## loadpilot compare\n\n- before: {}\n- after: {}\n\n",
            self.before, self.after
        );
        if let Some(warning) = self.profile_warning() {
            let _ = writeln!(md, "> {warning}\n");
        }
        md.push_str("| scope | metric | before | after | change | relative | verdict |\n|---|---|---:|---:|---:|---:|---|\n");
        for row in &self.rows {
            let [b, a, c, r, v] = Self::cells(row);
            let v = match row.verdict {
                Verdict::Better => format!("✅ {v}"),
                Verdict::Worse => format!("❌ {v}"),
                Verdict::WithinNoise => v,
            };
            let _ = writeln!(
                md,
                "| {} | {} | {b} | {a} | {c} | {r} | {v} |",
                row.scope,
                row.metric.label()
            );
        }
        md.push('\n');
        self.notes(&mut md, failures);
        md
    }

    fn notes(&self, out: &mut String, failures: &[String]) {
        if !self.unmatched.is_empty() {
            let _ = writeln!(out, "only in one run: {}", self.unmatched.join(", "));
        }
        for f in failures {
            let _ = writeln!(out, "FAIL {f}");
        }
    }
}

fn describe(s: &Snapshot) -> String {
    format!(
        "{} started {} ({:.0}s)",
        s.profile_name,
        s.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
        s.duration_s
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 13 point 5: compare reads durations as the summary does.
    #[test]
    fn durations_read_like_everywhere_else() {
        let scope = |p95_ms: f64| ScopeSummary {
            count: 10,
            errors: 0,
            error_rate: 0.0,
            rps: 1.0,
            min_ms: 0.0,
            mean_ms: 0.0,
            p50_ms: 0.4,
            p90_ms: 0.0,
            p95_ms,
            p99_ms: 0.0,
            max_ms: 0.0,
            classes: Default::default(),
        };
        let row = Row::new("overall", Metric::P95, &scope(1560.6), &scope(12.3));
        let [before, after, change, _, _] = Comparison::cells(&row);
        assert_eq!((before.as_str(), after.as_str()), ("1.56s", "12.3ms"));
        assert_eq!(change, "-1.55s");
        let row = Row::new("overall", Metric::P50, &scope(1.0), &scope(1.0));
        assert_eq!(Comparison::cells(&row)[0], "400µs");
    }

    #[test]
    fn parses_rules() {
        let r = FailRule::parse("p95 +10%").unwrap();
        assert_eq!(
            (r.metric, r.limit, r.relative, r.request.clone()),
            (Metric::P95, 0.1, true, None)
        );
        let r = FailRule::parse("checkout.p99 +50ms").unwrap();
        assert_eq!(
            (r.metric, r.limit, r.relative, r.request.as_deref()),
            (Metric::P99, 50.0, false, Some("checkout"))
        );
        let r = FailRule::parse("error_rate +1%").unwrap();
        assert_eq!((r.limit, r.relative), (0.01, false));
        assert_eq!(
            FailRule::parse("429_rate +2%").unwrap().metric,
            Metric::ClassRate(OutcomeClass::S429)
        );
        let problem = |rule: &str| FailRule::parse(rule).unwrap_err().problem;
        assert!(problem("rps +10%").contains("other direction"));
        assert!(problem("p95 10%").contains("sign"));
        assert!(problem("p42x +1%").contains("unknown metric"));
        let e = FailRule::parse(" p95 ").unwrap_err();
        assert_eq!(e.rule, "p95");
        assert!(
            e.to_string().starts_with("\"p95\": expected METRIC CHANGE"),
            "{e}"
        );
    }
}
