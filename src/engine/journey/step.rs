//! One journey step: render (templates, range header), send, then read what the
//! response says (range size, custom metric, extracted variables) and record it.

use std::time::Instant;

use bytes::Bytes;
use http::Uri;
use http::header::{CONTENT_LENGTH, HeaderName, HeaderValue, RANGE};

use super::StepCx;
use super::record_executed;
use crate::engine::client::{Detail, Executed};
use crate::engine::request::PreparedRequest;
use crate::outcome::{Outcome, OutcomeClass};
use crate::profile::HeaderExpect;
use crate::profile::data::json_to_var;
use crate::profile::journey::{
    Extract, ExtractSource, MetricRule, MetricSource, RequestTemplate, StepExtras,
};
use crate::profile::template::{Missing, RenderCtx};

/// How a step went, and the JSON body when `repeat_until` needs it.
pub struct StepResult {
    pub class: OutcomeClass,
    pub json: Option<serde_json::Value>,
}

/// Runs request `index` as a journey step and records it.
pub async fn run_step(cx: &mut StepCx<'_>, index: usize) -> StepResult {
    let prepared = cx.prepared;
    let req = &prepared.requests[index];
    let Some(extras) = prepared.journey.step(index) else {
        let mut executed = cx.client.execute(cx.prepared, index).await;
        let class = executed.outcome.class;
        record_executed(cx.recorder, prepared, index, &mut executed);
        return StepResult { class, json: None };
    };
    // Only templated or ranged steps pay for a copy of the prepared request.
    let (owned, cookies_read) = if extras.template.is_some() || extras.range.is_some() {
        match personalise(cx, index, extras) {
            Ok((owned, cookies_read)) => (Some(owned), cookies_read),
            Err(why) => return unrendered(cx, index, why),
        }
    } else {
        (None, Vec::new())
    };
    let send = owned.as_ref().unwrap_or(req);
    let mut executed = cx.client.execute_request(send, Instant::now()).await;
    let detail = executed.detail.take();
    if let Some(d) = &detail {
        read_response(cx, index, extras, &mut executed, d);
    }
    if extras.setup && executed.outcome.class.is_error() {
        executed.outcome.class = OutcomeClass::Setup;
        let message = executed
            .message
            .take()
            .unwrap_or_else(|| format!("{}: failed", req.name));
        executed.message = Some(format!("setup failed: {message}"));
    }
    if !cookies_read.is_empty()
        && let Some(message) = &mut executed.message
    {
        // A check rendered from `{{cookie.NAME}}` quotes the value when it fails;
        // session ids must not reach the log or the snapshot.
        let values: Vec<String> = cookies_read.into_iter().map(|(_, v)| v).collect();
        *message = crate::redact::scrub(message, &values);
    }
    let class = executed.outcome.class;
    record_executed(cx.recorder, prepared, index, &mut executed);
    StepResult {
        class,
        json: detail.and_then(|d| d.json),
    }
}

/// This VU's copy of request `index`: templates rendered with its variables, and
/// the next `Range` window when the step streams a file. Also the cookies its
/// templates read (their values are kept out of messages).
#[allow(clippy::type_complexity)] // the request and the cookies it read
fn personalise(
    cx: &mut StepCx<'_>,
    index: usize,
    extras: &StepExtras,
) -> Result<(PreparedRequest, Vec<(String, String)>), String> {
    let prepared = cx.prepared;
    let mut owned = prepared.requests[index].clone();
    let mut cookies_read = Vec::new();
    if let Some(template) = &extras.template {
        cookies_read = render(&mut owned, template, &prepared.base_url, cx)?;
    }
    if let Some(spec) = &extras.range {
        let (start, end) = cx.vu.range(index).window(spec, cx.rng);
        let value = HeaderValue::from_str(&format!("bytes={start}-{end}"))
            .expect("digits are valid header text");
        owned.headers.insert(RANGE, value);
    }
    Ok((owned, cookies_read))
}

/// A step whose template could not be rendered is not sent: a variable that was
/// never set means setup (or an earlier step) did not do its job.
fn unrendered(cx: &mut StepCx<'_>, index: usize, why: String) -> StepResult {
    let class = OutcomeClass::Setup;
    let name = &cx.prepared.requests[index].name;
    cx.recorder.note_error(class, format!("{name}: {why}"));
    let outcome = Outcome {
        latency_us: 0,
        class,
        status: 0,
        bytes_in: 0,
        bytes_out: 0,
    };
    cx.recorder.record(index, &outcome);
    StepResult { class, json: None }
}

/// What the step learns from the response: the file size for ranges, its custom
/// metric, and extracted variables (a failed extraction fails the step's checks).
fn read_response(
    cx: &mut StepCx<'_>,
    index: usize,
    extras: &StepExtras,
    executed: &mut Executed,
    d: &Detail,
) {
    let status = executed.outcome.status;
    if extras.range.is_some() {
        cx.vu.range(index).learn(status, &d.headers, d.body_bytes);
        if matches!(status, 200 | 206) {
            cx.recorder
                .journey()
                .chunk(d.body_bytes, executed.outcome.latency_us);
        }
    }
    if let Some(metric) = &extras.metric {
        let hit = metric_hit(metric, status, d);
        cx.recorder.journey().rate(metric.index, hit);
    }
    if executed.outcome.class.is_error() {
        return;
    }
    for e in &extras.extract {
        match extract(e, d) {
            Some(value) => cx.vu.vars[usize::from(e.slot)] = Some(value),
            None => {
                executed.outcome.class = OutcomeClass::Check;
                executed.message.get_or_insert_with(|| {
                    format!(
                        "{}: extract {} = \"{}\" matched nothing in the response",
                        cx.prepared.requests[index].name,
                        e.name,
                        e.source.describe()
                    )
                });
            }
        }
    }
}

/// Renders the templated parts of `req` in place; `Err` says what could not be rendered.
/// `{{cookie.NAME}}` reads the VU's cookies for the request's URL: the prepared one
/// for the path, the rendered one for everything after it. Returns those cookies
/// (none when no template reads one).
fn render(
    req: &mut PreparedRequest,
    template: &RequestTemplate,
    base_url: &str,
    cx: &mut StepCx<'_>,
) -> Result<Vec<(String, String)>, String> {
    let prepared = cx.prepared;
    let reads_cookies = template.reads_cookies();
    let cookies_at = |client: &crate::engine::client::VuClient, uri: &Uri| {
        if reads_cookies {
            client.cookie_pairs(uri)
        } else {
            Vec::new()
        }
    };
    let mut cookies = cookies_at(cx.client, &req.absolute_uri);
    // A reference-counted copy: the request's URL changes below.
    let prepared_uri = req.absolute_uri.clone();
    let unset = |missing: Missing| match missing {
        Missing::Var(slot) => {
            let name = prepared
                .journey
                .vars
                .get(usize::from(slot))
                .map_or("?", String::as_str);
            format!("variable {{{{{name}}}}} is not set (its extract has not matched yet)")
        }
        Missing::Cookie(name) => format!(
            "cookie {{{{cookie.{name}}}}} is not set for {} (no response has set it for this VU yet)",
            req_url_for_message(&prepared_uri)
        ),
    };
    if let Some(path) = &template.path {
        let mut ctx = RenderCtx {
            vu: cx.vu.id,
            iteration: cx.vu.iteration,
            vars: &cx.vu.vars,
            rng: cx.rng,
            cookies: &cookies,
        };
        let path = path.render(&mut ctx).map_err(unset)?;
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            path
        } else {
            format!("{base_url}{path}")
        };
        let absolute: Uri = url
            .parse()
            .map_err(|e| format!("rendered URL \"{url}\" is not valid: {e}"))?;
        req.path_uri = absolute
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .parse()
            .map_err(|e| format!("rendered path of \"{url}\" is not valid: {e}"))?;
        req.absolute_uri = absolute;
        cookies = cookies_at(cx.client, &req.absolute_uri);
    }
    let mut ctx = RenderCtx {
        vu: cx.vu.id,
        iteration: cx.vu.iteration,
        vars: &cx.vu.vars,
        rng: cx.rng,
        cookies: &cookies,
    };
    for (name, value) in &template.headers {
        let value = value.render(&mut ctx).map_err(unset)?;
        let value = HeaderValue::from_str(&value)
            .map_err(|_| format!("rendered header {name}: \"{value}\" is not valid header text"))?;
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("bad header name \"{name}\""))?;
        req.headers.insert(name, value);
    }
    if let Some(body) = &template.body {
        let body = body.render(&mut ctx).map_err(unset)?;
        req.headers
            .insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        req.body = Bytes::from(body);
    }
    render_checks(req, template, &mut ctx).map_err(unset)?;
    Ok(cookies)
}

/// The request's checks with their `{{…}}` templates expanded, so a check
/// compares with what this VU sent or extracted. `Err`: what is not set.
fn render_checks(
    req: &mut PreparedRequest,
    template: &RequestTemplate,
    ctx: &mut RenderCtx<'_>,
) -> Result<(), Missing> {
    if let Some(needle) = &template.check_body_contains {
        req.check.body_contains = Some(needle.render(ctx)?);
    }
    for (name, value) in &template.check_headers {
        let value = value.render(ctx)?;
        for (n, expect) in &mut req.check.headers {
            if n == name {
                *expect = HeaderExpect::Equals(value.clone());
            }
        }
    }
    for (index, value) in &template.check_json {
        if let Some((_, want)) = req.check.json.get_mut(*index) {
            *want = serde_json::Value::String(value.render(ctx)?);
        }
    }
    Ok(())
}

/// The URL a message names: the path only, so a query string with secrets in it
/// never reaches the log.
fn req_url_for_message(uri: &Uri) -> &str {
    uri.path()
}

fn extract(e: &Extract, d: &Detail) -> Option<String> {
    match &e.source {
        ExtractSource::Json(query) => d
            .json
            .as_ref()
            .and_then(|j| query.first(j))
            .filter(|v| !v.is_null())
            .map(json_to_var),
        ExtractSource::Header(name) => d
            .headers
            .get(name.as_str())
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        ExtractSource::Regex(re) => {
            let body = std::str::from_utf8(d.body.as_deref()?).ok()?;
            let caps = re.captures(body)?;
            caps.get(1)
                .or_else(|| caps.get(0))
                .map(|m| m.as_str().to_string())
        }
    }
}

fn metric_hit(metric: &MetricRule, status: u16, d: &Detail) -> bool {
    match &metric.source {
        MetricSource::Header { name, equals } => match (d.headers.get(name.as_str()), equals) {
            (Some(v), Some(want)) => v.as_bytes() == want.as_bytes(),
            (Some(_), None) => true,
            (None, _) => false,
        },
        MetricSource::Json { query, equals } => {
            let got = d.json.as_ref().and_then(|j| query.first(j));
            match equals {
                Some(want) => got == Some(want),
                None => got.is_some_and(|v| !v.is_null() && *v != serde_json::Value::Bool(false)),
            }
        }
        MetricSource::Status(ranges) => ranges.iter().any(|&(a, b)| (a..=b).contains(&status)),
    }
}
