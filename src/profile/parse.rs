//! TOML text → [`Profile`], in three passes, each naming file, line, column and field
//! of the first problem it finds:
//!
//! 1. syntax: `toml::de::DeTable` (spanned, so later errors can be located);
//! 2. shape: serde into the `raw` mirrors (unknown keys, wrong types);
//! 3. meaning: durations, weights, paths, bodies, thresholds, cross-references.

use std::path::Path;

use serde_spanned::Spanned;
use toml::de::DeTable;

pub use super::error::ProfileError;
use super::error::{Reporter, did_you_mean};
use super::journey_parse::resolve_journeys;
use super::locate::{field_at, field_by_lines, quote_key};
use super::raw::{RawLoad, RawProfile, RawStage, RawStages, RawThresholds};
use super::values::Ctx;
use super::{DEFAULT_GRACEFUL_STOP, DEFAULT_TIMEOUT, Defaults, Load, Profile, ThinkTime};
use crate::limits::MAX_PROFILE_BYTES;
use crate::plan::{LoadModel, Stage};
use crate::threshold::{Threshold, parse_threshold};

/// Reads and parses the profile at `path`. `vars` are `-e KEY=VALUE` pairs, which
/// win over the environment for `${VAR}`.
pub fn load_profile(path: &Path, vars: &[(String, String)]) -> Result<Profile, ProfileError> {
    let bytes = read_bounded(path)?;
    let text = std::str::from_utf8(&bytes).map_err(|e| ProfileError::not_utf8(path, &bytes, &e))?;
    parse_profile(text, path, vars)
}

/// Reads a profile file: a regular file of at most [`MAX_PROFILE_BYTES`], so a
/// device (`/dev/zero`), a pipe or a huge file is refused instead of read forever.
fn read_bounded(path: &Path) -> Result<Vec<u8>, ProfileError> {
    use std::io::Read;
    let unreadable = |e| ProfileError::unreadable(path, e);
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if !meta.is_file() {
        let kind = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a device, pipe or socket)"
        };
        return Err(ProfileError::refused(
            path,
            format!("cannot read the profile: it is {kind}"),
            "give the path of a .toml profile file",
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_PROFILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_PROFILE_BYTES {
        return Err(ProfileError::refused(
            path,
            format!(
                "cannot read the profile: it is larger than the {} MiB limit",
                MAX_PROFILE_BYTES / (1024 * 1024)
            ),
            "profiles are hand-written TOML; check the path, or move large data into a data file",
        ));
    }
    Ok(bytes)
}

/// Parses profile `text`; `path` names the file in errors, gives the default name
/// (its stem) and anchors relative `body_file` paths.
pub fn parse_profile(
    text: &str,
    path: &Path,
    vars: &[(String, String)],
) -> Result<Profile, ProfileError> {
    let ctx = Ctx {
        report: Reporter { text, file: path },
        vars,
    };
    let doc = DeTable::parse(text).map_err(|e| syntax_error(&ctx, &e))?;
    let raw: RawProfile = toml::from_str(text).map_err(|e| shape_error(&ctx, doc.get_ref(), &e))?;
    resolve(&ctx, raw)
}

fn resolve(ctx: &Ctx<'_>, raw: RawProfile) -> Result<Profile, ProfileError> {
    let top = |field: &str, message: &str, hint: &str| {
        ctx.report.at(0..0, field, message).with_hint(hint)
    };

    let name = match &raw.name {
        Some(name) if name.get_ref().trim().is_empty() => {
            return Err(ctx.err(name, "name", "name must not be empty"));
        }
        Some(name) => name.get_ref().trim().to_string(),
        None => ctx
            .file()
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "profile".into()),
    };

    let Some(raw_base) = &raw.base_url else {
        return Err(top(
            "base_url",
            "missing required key \"base_url\"",
            "add e.g. base_url = \"${BASE_URL:-http://127.0.0.1:8080}\" at the top",
        ));
    };
    let base_url = resolve_base_url(ctx, raw_base)?;

    let Some(load) = &raw.load else {
        return Err(top(
            "load",
            "missing [load] table",
            "add [load] with e.g. stages = \"30s:10,1m:10,10s:0\"",
        ));
    };
    let load = resolve_load(ctx, load)?;

    let defaults = match &raw.defaults {
        None => Defaults::default(),
        Some(d) => Defaults {
            timeout: match &d.timeout {
                Some(t) => ctx.positive_duration(t, "defaults.timeout")?,
                None => DEFAULT_TIMEOUT,
            },
            headers: match &d.headers {
                Some(h) => ctx.headers(h, "defaults.headers")?,
                None => Vec::new(),
            },
            think_time: match &d.think_time {
                Some(t) => ThinkTime::parse(t.get_ref()).map_err(|why| {
                    ctx.err(t, "defaults.think_time", why)
                        .with_hint("write one duration (\"1s\") or a range (\"1s..3s\")")
                })?,
                None => ThinkTime::NONE,
            },
            cookies: d.cookies.unwrap_or(true),
            follow_redirects: match &d.follow_redirects {
                Some(n) => ctx.redirect_hops(n, "defaults.follow_redirects")?,
                None => crate::limits::DEFAULT_REDIRECTS,
            },
        },
    };

    let resolved = resolve_journeys(ctx, &raw)?;
    let requests = resolved.requests;
    let journey = resolved.journey;

    let (thresholds, abort_on_fail) = match &raw.thresholds {
        Some(t) => resolve_thresholds(ctx, t, &requests, &journey, &load.stage_names)?,
        None => (Vec::new(), false),
    };

    Ok(Profile {
        name,
        description: raw.description.clone(),
        base_url,
        load,
        defaults,
        requests,
        thresholds,
        abort_on_fail,
        exit_on_end: raw.exit_on_end.unwrap_or(false),
        redact: raw.redact.iter().map(|r| r.get_ref().clone()).collect(),
        journey,
    })
}

/// `http(s)://host[:port][/prefix]`, without a trailing `/`.
fn resolve_base_url(ctx: &Ctx<'_>, raw: &Spanned<String>) -> Result<String, ProfileError> {
    let url = ctx.subst(raw, "base_url")?;
    let bad = |why: String| {
        ctx.err(raw, "base_url", why)
            .with_hint("write scheme, host and port, e.g. \"http://127.0.0.1:8080\"")
    };
    let uri: http::Uri = url
        .parse()
        .map_err(|e| bad(format!("\"{url}\" is not a URL: {e}")))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        Some(other) => {
            return Err(bad(format!(
                "\"{url}\": scheme \"{other}\" is not supported (use http or https)"
            )));
        }
        None => return Err(bad(format!("\"{url}\" has no http:// or https:// scheme"))),
    }
    if uri.authority().is_none() {
        return Err(bad(format!("\"{url}\" has no host")));
    }
    if uri.query().is_some() {
        return Err(bad(format!(
            "\"{url}\" has a query; put queries in each request's path"
        )));
    }
    Ok(url.trim_end_matches('/').to_string())
}

fn resolve_load(ctx: &Ctx<'_>, raw: &Spanned<RawLoad>) -> Result<Load, ProfileError> {
    let load = raw.get_ref();
    let model = resolve_executor(ctx, load)?;
    let (stages, stage_names) = match (&load.stages, &load.rate) {
        (Some(stages), None) => resolve_stages(ctx, stages, model)?,
        (None, Some(rate)) => (resolve_rate(ctx, raw, rate, model)?, Vec::new()),
        (Some(_), Some(rate)) => {
            return Err(ctx
                .err(
                    rate,
                    "load.rate",
                    "give either \"rate\" or \"stages\", not both",
                )
                .with_hint(
                    "a constant rate is rate = 500 with duration = \"1m\"; a ramp is stages",
                ));
        }
        (None, None) => {
            return Err(ctx
                .err(raw, "load.stages", "missing required key \"stages\"")
                .with_hint(
                    "add e.g. stages = \"30s:10,1m:10,10s:0\" (DURATION:TARGET, comma-separated)",
                ));
        }
    };
    if let (Some(d), None) = (&load.duration, &load.rate) {
        return Err(ctx
            .err(d, "load.duration", "\"duration\" goes with \"rate\"")
            .with_hint("with stages, the stages' durations set the run's length"));
    }
    let graceful_stop = match &load.graceful_stop {
        Some(g) => ctx.duration(g, "load.graceful_stop")?,
        None => DEFAULT_GRACEFUL_STOP,
    };
    let (max_vus, pre_allocated_vus) = resolve_pool(ctx, load, model)?;
    let segment = match &load.segment {
        Some(text) => Some(crate::segment::Segment::parse(text.get_ref()).map_err(|e| {
            ctx.err(text, "load.segment", e.to_string())
                .with_hint("each of N agents runs segment = \"I/N\", I from 1 to N")
        })?),
        None => None,
    };
    Ok(Load {
        stages,
        graceful_stop,
        model,
        max_vus,
        pre_allocated_vus,
        stage_names,
        segment,
    })
}

/// `max_vus` and `pre_allocated_vus`: the open model's pool, at least 1 each,
/// pre-allocated no more than the maximum.
fn resolve_pool(
    ctx: &Ctx<'_>,
    load: &RawLoad,
    model: LoadModel,
) -> Result<(Option<u32>, Option<u32>), ProfileError> {
    let vu_count = |key: &str, value: &Option<Spanned<i64>>| -> Result<Option<u32>, ProfileError> {
        let Some(v) = value else { return Ok(None) };
        if model != LoadModel::Rate {
            return Err(ctx
                .err(
                    v,
                    format!("load.{key}"),
                    format!("\"{key}\" is for the arrival-rate executor"),
                )
                .with_hint("add executor = \"arrival-rate\", or remove it"));
        }
        u64::try_from(*v.get_ref())
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| "it must be at least 1".to_string())
            .and_then(|n| crate::limits::check_vus(n).map_err(|e| e.to_string()))
            .map(Some)
            .map_err(|why| ctx.err(v, format!("load.{key}"), why))
    };
    let max_vus = vu_count("max_vus", &load.max_vus)?;
    let pre = vu_count("pre_allocated_vus", &load.pre_allocated_vus)?;
    if let (Some(max), Some(n), Some(span)) = (max_vus, pre, &load.pre_allocated_vus)
        && n > max
    {
        return Err(ctx.err(
            span,
            "load.pre_allocated_vus",
            format!("{n} pre-allocated VUs is more than max_vus = {max}"),
        ));
    }
    Ok((max_vus, pre))
}

/// `executor = "vus" | "arrival-rate"` (k6's names are accepted too).
fn resolve_executor(ctx: &Ctx<'_>, load: &RawLoad) -> Result<LoadModel, ProfileError> {
    let Some(executor) = &load.executor else {
        return Ok(LoadModel::Vus);
    };
    match executor.get_ref().as_str() {
        "vus" | "ramping-vus" | "constant-vus" => Ok(LoadModel::Vus),
        "arrival-rate" | "constant-arrival-rate" | "ramping-arrival-rate" => Ok(LoadModel::Rate),
        other => Err(ctx
            .err(
                executor,
                "load.executor",
                format!("unknown executor \"{other}\""),
            )
            .with_hint("use \"vus\" (closed model, the default) or \"arrival-rate\" (open model)")),
    }
}

/// `rate = 500` with `duration = "1m"`: one flat stage of arrivals per second.
fn resolve_rate(
    ctx: &Ctx<'_>,
    raw: &Spanned<RawLoad>,
    rate: &Spanned<i64>,
    model: LoadModel,
) -> Result<Vec<Stage>, ProfileError> {
    if model != LoadModel::Rate {
        return Err(ctx
            .err(
                rate,
                "load.rate",
                "\"rate\" is for the arrival-rate executor",
            )
            .with_hint("add executor = \"arrival-rate\""));
    }
    let value = u64::try_from(*rate.get_ref())
        .ok()
        .filter(|r| *r > 0)
        .ok_or_else(|| "a rate is at least 1 per second".to_string())
        .and_then(|r| crate::limits::check_rate(r).map_err(|e| e.to_string()))
        .map_err(|why| ctx.err(rate, "load.rate", why))?;
    let Some(duration) = &raw.get_ref().duration else {
        return Err(ctx
            .err(raw, "load.duration", "\"rate\" needs a \"duration\"")
            .with_hint("add e.g. duration = \"1m\""));
    };
    let duration = ctx.duration(duration, "load.duration")?;
    Ok(crate::plan::flat_stages(value, duration))
}

/// `stages = "warm-up=30s:10,…"` or a list of `{ name, duration, target }`
/// tables → the stages and their names (empty when none is named).
fn resolve_stages(
    ctx: &Ctx<'_>,
    stages_raw: &Spanned<RawStages>,
    model: LoadModel,
) -> Result<(Vec<Stage>, Vec<Option<String>>), ProfileError> {
    let mut names = Vec::new();
    let stages = match stages_raw.get_ref() {
        RawStages::Text(text) => {
            let (stages, named) = crate::plan::parse_named_stages_for(text, model)
                .map_err(|why| ctx.err(stages_raw, "load.stages", why))?;
            names = named;
            stages
        }
        RawStages::List(list) => {
            if list.is_empty() {
                return Err(ctx
                    .err(stages_raw, "load.stages", "stages list is empty")
                    .with_hint(
                        "add at least one stage, e.g. [ { duration = \"30s\", target = 10 } ]",
                    ));
            }
            let mut stages = Vec::with_capacity(list.len());
            for (i, stage) in list.iter().enumerate() {
                stages.push(resolve_stage(ctx, stage.get_ref(), i, model)?);
                let name = match &stage.get_ref().name {
                    Some(name) => {
                        crate::plan::check_stage_name(name.get_ref(), &names)
                            .map_err(|why| ctx.err(name, format!("load.stages[{i}].name"), why))?;
                        Some(name.get_ref().clone())
                    }
                    None => None,
                };
                names.push(name);
            }
            stages
        }
    };
    crate::plan::check_stages(&stages, model)
        .map_err(|why| ctx.err(stages_raw, "load.stages", why))?;
    if stages.iter().all(|s| s.duration.is_zero()) {
        return Err(ctx.err(
            stages_raw,
            "load.stages",
            "the stages add up to 0s, so the run would end at once",
        ));
    }
    if names.iter().all(Option::is_none) {
        names.clear();
    }
    Ok((stages, names))
}

fn resolve_stage(
    ctx: &Ctx<'_>,
    stage: &RawStage,
    i: usize,
    model: LoadModel,
) -> Result<Stage, ProfileError> {
    let duration = ctx.duration(&stage.duration, &format!("load.stages[{i}].duration"))?;
    let (what, limit) = match model {
        LoadModel::Vus => ("a VU count", crate::limits::MAX_VUS),
        LoadModel::Rate => ("a rate per second", crate::limits::MAX_RATE),
    };
    let target = u64::try_from(*stage.target.get_ref())
        .map_err(|_| "it is negative".to_string())
        .and_then(|t| crate::plan::check_target(t, model).map_err(|e| e.to_string()))
        .map_err(|why| {
            ctx.err(
                &stage.target,
                format!("load.stages[{i}].target"),
                format!(
                    "target {} is not {what} (0 to {limit}): {why}",
                    stage.target.get_ref(),
                ),
            )
        })?;
    Ok(Stage { duration, target })
}

/// `metric = "op value"` entries → thresholds, checking that named requests exist.
fn resolve_thresholds(
    ctx: &Ctx<'_>,
    raw: &RawThresholds,
    requests: &[super::RequestSpec],
    journey: &super::Journey,
    stage_names: &[Option<String>],
) -> Result<(Vec<Threshold>, bool), ProfileError> {
    let mut thresholds = Vec::with_capacity(raw.entries.len());
    for (key, value) in &raw.entries {
        let field = format!("thresholds.{}", quote_key(key.get_ref()));
        let expr = format!("{} {}", key.get_ref(), value.get_ref().expr);
        let metric = key.get_ref().trim();
        if journey.metrics.iter().any(|m| m == metric) {
            // A custom rate metric: `cache_hit = "> 80%"`, read like `error_rate`.
            let t = super::metric_rate_threshold(metric, &value.get_ref().expr).map_err(|why| {
                ctx.err(value, &field, why).with_hint(format!(
                    "a custom metric is a rate: {} = \"> 80%\"",
                    quote_key(metric)
                ))
            })?;
            thresholds.push(Threshold {
                allow_empty: value.get_ref().allow_empty,
                ..t
            });
            continue;
        }
        let threshold = parse_threshold(&expr).map_err(|why| {
            // Any valid metric accepts ">= 0", so if this probe fails the key is to blame.
            let key_is_bad = parse_threshold(&format!("{} >= 0", key.get_ref())).is_err();
            if key_is_bad {
                ctx.err(key, &field, why).with_hint(
                    "keys are [REQUEST.]METRIC, e.g. p95, error_rate, 429_rate, ping.p99",
                )
            } else {
                let starts_with_op = value.get_ref().expr.trim_start().starts_with(['<', '>']);
                let hint = if starts_with_op {
                    format!("write e.g. {} = \"< 500ms\" (latency), \"< 1%\" (rates) or \"> 100\" (rps)", quote_key(key.get_ref()))
                } else {
                    format!("the value is only the comparison: {} = \"< 500ms\"", quote_key(key.get_ref()))
                };
                ctx.err(value, &field, why).with_hint(hint)
            }
        })?;
        if let Some(name) = &threshold.request {
            let scopes = super::ScopeNames {
                requests,
                journey,
                stages: stage_names,
            };
            scopes
                .check(&threshold, name)
                .map_err(|(why, hint)| match hint {
                    Some(hint) => ctx.err(key, &field, why).with_hint(hint),
                    None => ctx.err(key, &field, why),
                })?;
        }
        thresholds.push(Threshold {
            allow_empty: value.get_ref().allow_empty,
            ..threshold
        });
    }
    let abort_on_fail = raw.abort_on_fail.as_ref().is_some_and(|b| *b.get_ref());
    Ok((thresholds, abort_on_fail))
}

/// A TOML syntax error, located within the part of the document that did parse.
fn syntax_error(ctx: &Ctx<'_>, err: &toml::de::Error) -> ProfileError {
    let span = err.span().unwrap_or(0..0);
    let (partial, _) = DeTable::parse_recoverable(ctx.report.text);
    let mut field = field_at(partial.get_ref(), span.start);
    if field.is_empty() {
        field = field_by_lines(ctx.report.text, span.start);
    }
    ctx.report.at(
        span,
        field,
        format!("TOML syntax error: {}", one_line(err.message())),
    )
}

/// A serde error (unknown key, wrong type, missing key), reworded and located.
fn shape_error(ctx: &Ctx<'_>, doc: &DeTable<'_>, err: &toml::de::Error) -> ProfileError {
    let span = err.span().unwrap_or(0..0);
    let mut field = field_at(doc, span.start);
    let message = one_line(err.message());
    let ticked: Vec<&str> = message.split('`').skip(1).step_by(2).collect();

    if let Some(rest) = message.strip_prefix("unknown field ")
        && let Some((&key, valid)) = ticked.split_first()
    {
        let listed = if rest.contains("there are no fields") {
            String::new()
        } else {
            format!("; valid keys here: {}", valid.join(", "))
        };
        let err = ctx
            .report
            .at(span, field, format!("unknown key \"{key}\"{listed}"));
        return match did_you_mean(key, valid) {
            Some(near) => err.with_hint(format!("did you mean \"{near}\"?")),
            None => err,
        };
    }
    if message.starts_with("missing field ")
        && let Some(&key) = ticked.first()
    {
        field = if field.is_empty() {
            key.to_string()
        } else {
            format!("{field}.{key}")
        };
        return ctx
            .report
            .at(span, field, format!("missing required key \"{key}\""));
    }
    let message = message
        .replace('`', "\"")
        .replace("expected i64", "expected a whole number")
        .replace("expected u32", "expected a whole number");
    let err = ctx.report.at(span, field.clone(), message.clone());
    let is_duration_key = [
        "timeout",
        "duration",
        "graceful_stop",
        "max_duration",
        "think_time",
    ]
    .iter()
    .any(|k| field.ends_with(k));
    if is_duration_key && message.contains("expected a string") {
        err.with_hint("write durations as quoted strings with a unit, e.g. \"10s\"")
    } else {
        err
    }
}

/// toml messages can span lines ("expected …" on the next); ours are one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}
