//! The journey keys of one request table (`extract`, `range`, `metric`,
//! `repeat_until`) → [`StepExtras`], and the [`Builder`] that hands out variable and
//! metric slots while a profile's requests are resolved. Both the plain request
//! resolver and the journey resolver use it, so it sits below them.

use serde_spanned::Spanned;

use super::error::ProfileError;
use super::journey::{
    Extract, ExtractSource, JsonQuery, MetricRule, MetricSource, RangeSpec, RepeatUntil, Seek,
    StepExtras, parse_size,
};
use super::raw::{RawMetric, RawRange, RawRepeatUntil, RawRequest};
use super::values::{Ctx, statuses_to_ranges};

/// Variable slots and metric names being collected, and which variables are in scope.
#[derive(Default)]
pub(crate) struct Builder {
    vars: Vec<String>,
    known: Vec<bool>,
    metrics: Vec<String>,
}

impl Builder {
    pub fn slot(&mut self, name: &str) -> u16 {
        match self.vars.iter().position(|v| v == name) {
            Some(i) => i as u16,
            None => {
                self.vars.push(name.to_string());
                self.known.push(false);
                (self.vars.len() - 1) as u16
            }
        }
    }

    pub fn define(&mut self, name: &str) {
        let slot = self.slot(name);
        self.known[usize::from(slot)] = true;
    }

    /// The slot of `name` if it is defined in the current scope.
    pub fn lookup(&self, name: &str) -> Option<u16> {
        let i = self.vars.iter().position(|v| v == name)?;
        self.known[i].then_some(i as u16)
    }

    /// The metric slot of `name`, added when new.
    pub fn metric_index(&mut self, name: &str) -> usize {
        match self.metrics.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                self.metrics.push(name.to_string());
                self.metrics.len() - 1
            }
        }
    }

    /// Variable names (index = slot) and metric names (index = metric slot).
    pub fn into_names(self) -> (Vec<String>, Vec<String>) {
        (self.vars, self.metrics)
    }

    pub fn known_names(&self) -> Vec<&str> {
        self.vars
            .iter()
            .zip(&self.known)
            .filter(|(_, k)| **k)
            .map(|(v, _)| v.as_str())
            .collect()
    }

    pub fn forget_all(&mut self) {
        self.known.fill(false);
    }
}

/// A variable name: letters, digits and `_`, not starting with a digit.
pub(crate) fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `extract`, `range`, `metric`, `repeat_until` of one request table.
pub(crate) fn resolve_extras(
    ctx: &Ctx<'_>,
    prefix: &str,
    table: &RawRequest,
    b: &mut Builder,
) -> Result<StepExtras, ProfileError> {
    let field = |key: &str| format!("{prefix}.{key}");
    let mut extras = StepExtras::default();
    for (name, source) in table.extract.iter().flat_map(|e| &e.0) {
        let here = format!("{}.{}", field("extract"), name.get_ref());
        extras
            .extract
            .push(resolve_extract(ctx, &here, name, source, b)?);
    }
    if let Some(range) = &table.range {
        extras.range = Some(resolve_range(ctx, &field("range"), range.get_ref())?);
    }
    if let Some(metric) = &table.metric {
        extras.metric = Some(resolve_metric(ctx, &field("metric"), metric, b)?);
    }
    if let Some(repeat) = &table.repeat_until {
        extras.repeat_until = Some(resolve_repeat_until(
            ctx,
            &field("repeat_until"),
            repeat.get_ref(),
        )?);
    }
    Ok(extras)
}

/// One `extract = { NAME = "SOURCE" }` entry: a JSON query, `header:NAME` or `regex:PATTERN`.
fn resolve_extract(
    ctx: &Ctx<'_>,
    here: &str,
    name: &Spanned<String>,
    source: &Spanned<String>,
    b: &mut Builder,
) -> Result<Extract, ProfileError> {
    if !is_var_name(name.get_ref()) {
        return Err(ctx.err(
            name,
            here,
            format!(
                "\"{}\" is not a variable name (letters, digits and _, not starting with a digit)",
                name.get_ref()
            ),
        ));
    }
    let text = source.get_ref().trim();
    let source_parsed = if let Some(header) = text.strip_prefix("header:") {
        let header = header.trim();
        if http::HeaderName::from_bytes(header.as_bytes()).is_err() {
            return Err(ctx.err(
                source,
                here,
                format!("\"{header}\" is not a valid header name"),
            ));
        }
        ExtractSource::Header(header.to_string())
    } else if let Some(pattern) = text.strip_prefix("regex:") {
        ExtractSource::Regex(regex::Regex::new(pattern).map_err(|e| {
            ctx.err(
                source,
                here,
                format!("bad regex: {}", e.to_string().lines().last().unwrap_or("")),
            )
        })?)
    } else {
        ExtractSource::Json(JsonQuery::parse(text).map_err(|why| {
            ctx.err(source, here, why)
                .with_hint("write \"$.token\" (JSONPath), \"/token\" (JSON pointer), \"header:X-Name\" or \"regex:id=(\\\\w+)\"")
        })?)
    };
    Ok(Extract {
        name: name.get_ref().clone(),
        slot: b.slot(name.get_ref()),
        source: source_parsed,
    })
}

/// `range = { chunk = "2MB", seek = "sequential" | "random" }`.
fn resolve_range(ctx: &Ctx<'_>, field: &str, r: &RawRange) -> Result<RangeSpec, ProfileError> {
    let chunk_bytes = parse_size(r.chunk.get_ref()).map_err(|why| {
        ctx.err(&r.chunk, format!("{field}.chunk"), why)
            .with_hint("write e.g. chunk = \"2MB\"")
    })?;
    let seek = match r.seek.as_ref().map(|s| s.get_ref().trim()) {
        None | Some("sequential") => Seek::Sequential,
        Some("random") => Seek::Random,
        Some(other) => {
            return Err(ctx
                .err(
                    r.seek.as_ref().expect("set"),
                    format!("{field}.seek"),
                    format!("unknown seek \"{other}\""),
                )
                .with_hint("use \"sequential\" or \"random\""));
        }
    };
    Ok(RangeSpec { chunk_bytes, seek })
}

/// `repeat_until`: the query, the value that ends the loop, an optional failing
/// value, the interval (1 s) and the attempt bound (60, at most 100,000).
fn resolve_repeat_until(
    ctx: &Ctx<'_>,
    here: &str,
    r: &RawRepeatUntil,
) -> Result<RepeatUntil, ProfileError> {
    let query = JsonQuery::parse(r.json.get_ref())
        .map_err(|why| ctx.err(&r.json, format!("{here}.json"), why))?;
    let interval = match &r.interval {
        Some(i) => ctx.positive_duration(i, &format!("{here}.interval"))?,
        None => std::time::Duration::from_secs(1),
    };
    let max_attempts = match &r.max_attempts {
        None => 60,
        Some(m) => match u32::try_from(*m.get_ref()) {
            Ok(n @ 1..=100_000) => n,
            _ => {
                return Err(ctx.err(
                    m,
                    format!("{here}.max_attempts"),
                    "max_attempts must be from 1 to 100000",
                ));
            }
        },
    };
    Ok(RepeatUntil {
        query,
        equals: ctx.json(&r.equals, &format!("{here}.equals"))?,
        fail_if: r
            .fail_if
            .as_ref()
            .map(|f| ctx.json(f, &format!("{here}.fail_if")))
            .transpose()?,
        interval,
        max_attempts,
    })
}

fn resolve_metric(
    ctx: &Ctx<'_>,
    field: &str,
    raw: &Spanned<RawMetric>,
    b: &mut Builder,
) -> Result<MetricRule, ProfileError> {
    let m = raw.get_ref();
    let name = m.name.get_ref().trim();
    if !is_var_name(name) {
        return Err(ctx.err(&m.name, format!("{field}.name"), format!("metric name \"{name}\" must be letters, digits and _ (thresholds refer to it: \"{name}\" = \"> 80%\")")));
    }
    if crate::threshold::parse_threshold(&format!("{name} >= 0")).is_ok() {
        return Err(ctx.err(
            &m.name,
            format!("{field}.name"),
            format!("\"{name}\" is a built-in metric name; pick another"),
        ));
    }
    let sources = [m.header.is_some(), m.json.is_some(), m.status.is_some()];
    if sources.iter().filter(|s| **s).count() != 1 {
        return Err(ctx
            .err(
                raw,
                field,
                "a metric needs exactly one of header, json and status",
            )
            .with_hint(
                "e.g. metric = { name = \"cache_hit\", header = \"X-Cache\", equals = \"HIT\" }",
            ));
    }
    let source = if let Some(header) = &m.header {
        let equals = match m.equals.as_ref().map(|e| (e, e.get_ref())) {
            None => None,
            Some((_, toml::Value::String(s))) => Some(s.clone()),
            Some((e, _)) => {
                return Err(ctx.err(
                    e,
                    format!("{field}.equals"),
                    "a header is compared with a string",
                ));
            }
        };
        MetricSource::Header {
            name: header.get_ref().trim().to_string(),
            equals,
        }
    } else if let Some(json) = &m.json {
        MetricSource::Json {
            query: JsonQuery::parse(json.get_ref())
                .map_err(|why| ctx.err(json, format!("{field}.json"), why))?,
            equals: m
                .equals
                .as_ref()
                .map(|e| ctx.json(e, &format!("{field}.equals")))
                .transpose()?,
        }
    } else {
        let status = m.status.as_ref().expect("one source is set");
        MetricSource::Status(statuses_to_ranges(ctx, &format!("{field}.status"), status)?)
    };
    let index = b.metric_index(name);
    Ok(MetricRule { index, source })
}
