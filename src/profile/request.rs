//! One `[[request]]` (or setup / flow step) → [`RequestSpec`]: method, path, weight,
//! body, check; its journey options go to [`StepExtras`] via `extras`.

use std::ops::Range;

use bytes::Bytes;
use serde_spanned::Spanned;

use super::error::ProfileError;
use super::extras::{Builder, resolve_extras};
use super::journey::{JsonQuery, RequestTemplate, StepExtras, parse_size};
use super::raw::{RawCheck, RawMultipart, RawRequest, RawStatuses};
use super::template::{Template, has_placeholder};
use super::values::{Ctx, find_file, parse_status_ranges};
use super::{Body, Check, HeaderExpect, RequestSpec};

/// Methods a request may use (an extension method is almost always a typo).
const METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT",
];

/// Resolves the request table at `prefix` (e.g. `request[2]`, `persona[0].flow[1].step[0]`);
/// `raw` is the whole table, so a missing key can point at it. `b` knows which
/// `{{variables}}` are defined here.
pub(crate) fn resolve_request(
    ctx: &Ctx<'_>,
    prefix: &str,
    raw: &Spanned<RawRequest>,
    b: &mut Builder,
) -> Result<(RequestSpec, StepExtras), ProfileError> {
    let field = |key: &str| format!("{prefix}.{key}");
    let table = raw.get_ref();
    let mut template = RequestTemplate::default();

    let method = resolve_method(ctx, prefix, table)?;
    let (written, path, path_template) = resolve_path(ctx, prefix, raw, b)?;
    template.path = path_template;
    let name = resolve_name(ctx, prefix, table, &written)?;
    let weight = resolve_weight(ctx, prefix, table)?;
    let timeout = table
        .timeout
        .as_ref()
        .map(|t| ctx.positive_duration(t, &field("timeout")))
        .transpose()?;
    let headers = resolve_headers(ctx, prefix, table, b, &mut template)?;
    let mut body = resolve_body(ctx, prefix, table)?;
    if let Some(body) = &mut body {
        template.body = template_body(ctx, prefix, raw, b, body)?;
    }

    let spec = RequestSpec {
        name,
        weight,
        method,
        path,
        timeout,
        headers,
        body,
        check: match &table.check {
            Some(check) => resolve_check(ctx, prefix, check, b, &mut template)?,
            None => Check::default(),
        },
        cookies: table.cookies,
        follow_redirects: table
            .follow_redirects
            .as_ref()
            .map(|n| ctx.redirect_hops(n, &field("follow_redirects")))
            .transpose()?,
    };
    let mut extras = resolve_extras(ctx, prefix, table, b)?;
    if !template.is_empty() {
        extras.template = Some(template);
    }
    Ok((spec, extras))
}

/// `method`, upper-cased; GET when absent, an error for anything outside [`METHODS`].
fn resolve_method(ctx: &Ctx<'_>, prefix: &str, table: &RawRequest) -> Result<String, ProfileError> {
    let Some(method) = &table.method else {
        return Ok("GET".to_string());
    };
    let upper = method.get_ref().trim().to_ascii_uppercase();
    if !METHODS.contains(&upper.as_str()) {
        return Err(ctx.err(
            method,
            format!("{prefix}.method"),
            format!(
                "unknown method \"{}\"; use one of {}",
                method.get_ref(),
                METHODS.join(", ")
            ),
        ));
    }
    Ok(upper)
}

/// The required `path`: returns the text as written (after `${VAR}`), the path to
/// validate and send (placeholders as `x`), and its template if it has one.
fn resolve_path(
    ctx: &Ctx<'_>,
    prefix: &str,
    raw: &Spanned<RawRequest>,
    b: &Builder,
) -> Result<(String, String, Option<Template>), ProfileError> {
    let field = format!("{prefix}.path");
    let Some(raw_path) = &raw.get_ref().path else {
        return Err(ctx
            .err(raw, field, "missing required key \"path\"")
            .with_hint("add e.g. path = \"/ping\" (or an absolute \"http://host:port/path\")"));
    };
    let written = ctx.subst(raw_path, &field)?;
    let (path, path_template) = compile_template(ctx, b, raw_path, &field, &written)?;
    check_path(&path).map_err(|(why, hint)| {
        let err = ctx.err(raw_path, &field, why);
        match hint {
            Some(hint) => err.with_hint(hint),
            None => err,
        }
    })?;
    Ok((written, path, path_template))
}

/// `name`, trimmed and not empty; the path as written when absent.
fn resolve_name(
    ctx: &Ctx<'_>,
    prefix: &str,
    table: &RawRequest,
    written_path: &str,
) -> Result<String, ProfileError> {
    match &table.name {
        Some(name) if name.get_ref().trim().is_empty() => {
            Err(ctx.err(name, format!("{prefix}.name"), "name must not be empty"))
        }
        Some(name) => Ok(name.get_ref().trim().to_string()),
        None => Ok(written_path.to_string()),
    }
}

/// `weight`: 1 when absent, at least 1, and fits a `u32`.
fn resolve_weight(ctx: &Ctx<'_>, prefix: &str, table: &RawRequest) -> Result<u32, ProfileError> {
    let Some(weight) = &table.weight else {
        return Ok(1);
    };
    let field = format!("{prefix}.weight");
    let w = *weight.get_ref();
    if w < 1 {
        return Err(ctx.err(
            weight,
            field,
            "weight must be at least 1 (a request with weight 0 would never run)",
        ));
    }
    u32::try_from(w).map_err(|_| {
        ctx.err(
            weight,
            field,
            format!("weight {w} is too large (at most {})", u32::MAX),
        )
    })
}

/// `headers`; a value with `{{…}}` is validated with its placeholders filled in and
/// its template goes to `template.headers`.
fn resolve_headers(
    ctx: &Ctx<'_>,
    prefix: &str,
    table: &RawRequest,
    b: &Builder,
    template: &mut RequestTemplate,
) -> Result<Vec<(String, String)>, ProfileError> {
    let field = format!("{prefix}.headers");
    let Some(raw_headers) = &table.headers else {
        return Ok(Vec::new());
    };
    let mut headers = ctx.headers(raw_headers, &field)?;
    for (i, (name, value)) in headers.iter_mut().enumerate() {
        if !has_placeholder(value) {
            continue;
        }
        let at = &raw_headers.0[i].1;
        let here = format!("{field}.{name}");
        let (text, compiled) = compile_template(ctx, b, at, &here, value)?;
        if http::HeaderValue::from_str(&text).is_err() {
            return Err(ctx.err(
                at,
                here,
                format!("header value \"{value}\" is not valid header text"),
            ));
        }
        *value = text;
        if let Some(compiled) = compiled {
            template.headers.push((name.clone(), compiled));
        }
    }
    Ok(headers)
}

/// A text body (`body`, `json` or `body_file`, never `multipart`) with `{{…}}`:
/// renders its placeholders as `x` in `body` and returns the per-request template
/// (JSON-escaped for `json`).
fn template_body(
    ctx: &Ctx<'_>,
    prefix: &str,
    raw: &Spanned<RawRequest>,
    b: &Builder,
    body: &mut Body,
) -> Result<Option<Template>, ProfileError> {
    let table = raw.get_ref();
    let text = match std::str::from_utf8(&body.bytes) {
        Ok(text) if body.source != "multipart" && has_placeholder(text) => text.to_string(),
        _ => return Ok(None),
    };
    let at = table
        .body
        .as_ref()
        .map(Spanned::span)
        .or(table.json.as_ref().map(Spanned::span))
        .or(table.body_file.as_ref().map(Spanned::span))
        .unwrap_or(raw.span());
    let at = Spanned::new(at, ());
    let key = if table.json.is_some() { "json" } else { "body" };
    let field = format!("{prefix}.{key}");
    let (rendered, compiled) = compile_template(ctx, b, &at, &field, &text)?;
    body.bytes = Bytes::from(rendered);
    Ok(if table.json.is_some() {
        compiled.map(Template::json_escaped)
    } else {
        compiled
    })
}

/// Compiles a `{{…}}` template in `text`. Returns the text to validate and prepare
/// with (placeholders as `x`) and the template, or the text itself when nothing is
/// left to render per request (no placeholders, or only `env.` ones).
fn compile_template<T>(
    ctx: &Ctx<'_>,
    b: &Builder,
    at: &Spanned<T>,
    field: &str,
    text: &str,
) -> Result<(String, Option<Template>), ProfileError> {
    if !has_placeholder(text) {
        return Ok((text.replace("{{{{", "{{"), None));
    }
    let env = |name: &str| ctx.lookup_var(name);
    let template = Template::compile(text, &|name| b.lookup(name), &env).map_err(|why| {
        let known = b.known_names();
        let hint = if known.is_empty() {
            "no variables are defined here: extract one in a setup step (extract = { token = \"$.token\" }) or load a data file; built-ins are vu, iteration, uuid, random_int(MIN,MAX), env.NAME, cookie.NAME".to_string()
        } else {
            format!(
                "variables defined here: {}; built-ins: vu, iteration, uuid, random_int(MIN,MAX), env.NAME, cookie.NAME",
                known.join(", ")
            )
        };
        ctx.err(at, field, why).with_hint(hint)
    })?;
    if template.is_static() {
        let mut rng = <rand::rngs::SmallRng as rand::SeedableRng>::seed_from_u64(0);
        let text = template
            .render(&mut super::template::RenderCtx {
                vu: 0,
                iteration: 0,
                vars: &[],
                rng: &mut rng,
                cookies: &[],
            })
            .unwrap_or_default();
        return Ok((text, None));
    }
    Ok((template.placeholder_text(), Some(template)))
}

/// A path starts with `/` or is an absolute http(s) URL; `Err` has the reason and maybe a hint.
fn check_path(path: &str) -> Result<(), (String, Option<String>)> {
    if path.starts_with('/') {
        return path
            .parse::<http::uri::PathAndQuery>()
            .map(drop)
            .map_err(|e| {
                (
                    format!("path \"{path}\" is not a valid URL path: {e}"),
                    None,
                )
            });
    }
    if path.starts_with("http://") || path.starts_with("https://") {
        return match path.parse::<http::Uri>() {
            Ok(uri) if uri.authority().is_some() => Ok(()),
            Ok(_) => Err((format!("URL \"{path}\" has no host"), None)),
            Err(e) => Err((format!("\"{path}\" is not a valid URL: {e}"), None)),
        };
    }
    let hint = if path.contains("://") {
        "only http:// and https:// URLs are supported".to_string()
    } else {
        format!("did you mean \"/{path}\"?")
    };
    Err((
        format!(
            "path \"{path}\" must start with \"/\" (e.g. \"/ping\") or be an absolute http:// or https:// URL"
        ),
        Some(hint),
    ))
}

/// At most one of `body`, `json`, `body_file`.
fn resolve_body(
    ctx: &Ctx<'_>,
    prefix: &str,
    table: &RawRequest,
) -> Result<Option<Body>, ProfileError> {
    let field = |key: &str| format!("{prefix}.{key}");
    let set: Vec<(&str, Range<usize>)> = [
        ("body", table.body.as_ref().map(Spanned::span)),
        ("json", table.json.as_ref().map(Spanned::span)),
        ("body_file", table.body_file.as_ref().map(Spanned::span)),
        ("multipart", table.multipart.as_ref().map(Spanned::span)),
    ]
    .into_iter()
    .filter_map(|(key, span)| Some((key, span?)))
    .collect();
    if let [(first, _), (second, span), ..] = set.as_slice() {
        return Err(ctx
            .report
            .at(
                span.clone(),
                field(second),
                format!("\"{first}\" and \"{second}\" are both set, but a request has one body"),
            )
            .with_hint(
                "keep one of body (text), json (a TOML value sent as JSON), body_file (a path) and multipart (a generated upload)",
            ));
    }
    if let Some(multipart) = &table.multipart {
        return resolve_multipart(ctx, &field("multipart"), multipart).map(Some);
    }

    if let Some(body) = &table.body {
        return Ok(Some(Body {
            bytes: Bytes::from(ctx.subst(body, &field("body"))?),
            content_type: None,
            source: "inline".into(),
        }));
    }
    if let Some(json) = &table.json {
        let value = ctx.json(json, &field("json"))?;
        return Ok(Some(Body {
            bytes: Bytes::from(value.to_string()),
            content_type: Some("application/json".into()),
            source: "json".into(),
        }));
    }
    if let Some(file) = &table.body_file {
        let written = ctx.subst(file, &field("body_file"))?;
        let found = find_file(ctx, file, &field("body_file"), "body file", &written)?;
        let found = found.as_path();
        let bytes = std::fs::read(found).map_err(|e| {
            ctx.err(
                file,
                field("body_file"),
                format!("cannot read body file \"{}\": {e}", found.display()),
            )
        })?;
        let is_json = found.extension().is_some_and(|e| e == "json");
        return Ok(Some(Body {
            bytes: Bytes::from(bytes),
            content_type: is_json.then(|| "application/json".into()),
            source: found.display().to_string(),
        }));
    }
    Ok(None)
}

/// Boundary of generated multipart bodies; the generated content is lowercase letters,
/// so it can never contain it.
const MULTIPART_BOUNDARY: &str = "loadpilot-7MA4YWxkTrZu0gW";

/// `multipart = { field, size, filename, content_type }` → a generated form body, built once.
fn resolve_multipart(
    ctx: &Ctx<'_>,
    field: &str,
    raw: &Spanned<RawMultipart>,
) -> Result<Body, ProfileError> {
    let m = raw.get_ref();
    let size = parse_size(m.size.get_ref()).map_err(|why| {
        ctx.err(&m.size, format!("{field}.size"), why)
            .with_hint("write e.g. size = \"100KB\" (KB = 1000 bytes, KiB = 1024)")
    })?;
    if size > 1 << 30 {
        return Err(ctx.err(
            &m.size,
            format!("{field}.size"),
            "uploads are generated in memory once; keep size at most 1 GiB",
        ));
    }
    let text =
        |v: &Option<Spanned<String>>, key: &str, default: &str| -> Result<String, ProfileError> {
            let value = match v {
                Some(v) => ctx.subst(v, &format!("{field}.{key}"))?,
                None => default.to_string(),
            };
            if value.contains(['"', '\r', '\n']) {
                let at = v.as_ref().map_or(raw.span(), Spanned::span);
                return Err(ctx.report.at(
                    at,
                    format!("{field}.{key}"),
                    format!("\"{value}\" must not contain quotes or line breaks"),
                ));
            }
            Ok(value)
        };
    let name = text(&m.field, "field", "file")?;
    let filename = text(&m.filename, "filename", "upload.bin")?;
    let content_type = text(&m.content_type, "content_type", "application/octet-stream")?;
    let head = format!(
        "--{MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
    );
    let tail = format!("\r\n--{MULTIPART_BOUNDARY}--\r\n");
    let mut bytes = Vec::with_capacity(head.len() + size as usize + tail.len());
    bytes.extend_from_slice(head.as_bytes());
    bytes.extend((0..size).map(|i| b'a' + (i % 26) as u8));
    bytes.extend_from_slice(tail.as_bytes());
    Ok(Body {
        bytes: Bytes::from(bytes),
        content_type: Some(format!(
            "multipart/form-data; boundary={MULTIPART_BOUNDARY}"
        )),
        source: "multipart".into(),
    })
}

/// A request's `check` table. `{{…}}` templates in `body_contains`, `header`
/// values and `json` string values are compiled into `template` and expanded per
/// request like the rest of the request.
fn resolve_check(
    ctx: &Ctx<'_>,
    prefix: &str,
    raw: &RawCheck,
    b: &Builder,
    template: &mut RequestTemplate,
) -> Result<Check, ProfileError> {
    let field = |key: &str| format!("{prefix}.check.{key}");
    let (status, status_ranges) = match &raw.status {
        None => (None, Vec::new()),
        Some(status) => resolve_check_status(ctx, &field("status"), status)?,
    };
    let body_contains = match &raw.body_contains {
        None => None,
        Some(needle) => {
            let here = field("body_contains");
            let written = ctx.subst(needle, &here)?;
            let (text, compiled) = compile_template(ctx, b, needle, &here, &written)?;
            template.check_body_contains = compiled;
            Some(text)
        }
    };
    let max_duration = raw
        .max_duration
        .as_ref()
        .map(|d| ctx.positive_duration(d, &field("max_duration")))
        .transpose()?;
    Ok(Check {
        status,
        body_contains,
        max_duration,
        status_ranges,
        json: resolve_check_json(ctx, &field("json"), raw, b, template)?,
        headers: resolve_check_headers(ctx, &field("header"), raw, b, template)?,
    })
}

/// `check.status`: a code or a list of codes (the first value), or a ranges string
/// such as `"2xx,404"` (the second value).
#[allow(clippy::type_complexity)] // the two shapes `Check` keeps apart
fn resolve_check_status(
    ctx: &Ctx<'_>,
    field: &str,
    status: &Spanned<RawStatuses>,
) -> Result<(Option<Vec<u16>>, Vec<(u16, u16)>), ProfileError> {
    let codes: Vec<(i64, Range<usize>)> = match status.get_ref() {
        RawStatuses::Ranges(text) => {
            let ranges = parse_status_ranges(text).map_err(|why| {
                ctx.err(status, field, why)
                    .with_hint("write e.g. status = \"2xx\", \"200-299\", \"200-299,404\" or a list [200, 204]")
            })?;
            return Ok((None, ranges));
        }
        RawStatuses::One(code) => vec![(*code, status.span())],
        RawStatuses::Many(codes) => codes.iter().map(|c| (*c.get_ref(), c.span())).collect(),
    };
    if codes.is_empty() {
        return Err(ctx
            .err(status, field, "status list is empty, so every response would fail")
            .with_hint("list the accepted codes, e.g. status = [200, 204], or remove the key to accept any 2xx/3xx"));
    }
    let mut out = Vec::with_capacity(codes.len());
    for (code, at) in codes {
        match u16::try_from(code) {
            Ok(code @ 100..=599) => out.push(code),
            _ => {
                return Err(ctx.report.at(
                    at,
                    field,
                    format!("{code} is not an HTTP status code (100 to 599)"),
                ));
            }
        }
    }
    Ok((Some(out), Vec::new()))
}

/// `check.json`: each key a JSON query, each value the JSON it must equal.
fn resolve_check_json(
    ctx: &Ctx<'_>,
    field: &str,
    raw: &RawCheck,
    b: &Builder,
    template: &mut RequestTemplate,
) -> Result<Vec<(JsonQuery, serde_json::Value)>, ProfileError> {
    let mut json = Vec::new();
    for (key, value) in raw.json.as_ref().map_or(&[][..], |j| &j.0[..]) {
        let here = format!("{field}.{}", super::locate::quote_key(key.get_ref()));
        let query = JsonQuery::parse(key.get_ref()).map_err(|why| ctx.err(key, &here, why))?;
        if let toml::Value::String(text) = value.get_ref()
            && let (_, Some(compiled)) = compile_template(ctx, b, value, &here, text)?
        {
            template.check_json.push((json.len(), compiled));
        }
        json.push((query, ctx.json(value, &here)?));
    }
    Ok(json)
}

/// `check.header`: each header must equal a string, or be present (`true`) or absent (`false`).
fn resolve_check_headers(
    ctx: &Ctx<'_>,
    field: &str,
    raw: &RawCheck,
    b: &Builder,
    template: &mut RequestTemplate,
) -> Result<Vec<(String, HeaderExpect)>, ProfileError> {
    let mut headers = Vec::new();
    for (key, value) in raw.header.as_ref().map_or(&[][..], |h| &h.0[..]) {
        let here = format!("{field}.{}", super::locate::quote_key(key.get_ref()));
        if http::HeaderName::from_bytes(key.get_ref().as_bytes()).is_err() {
            return Err(ctx.err(
                key,
                &here,
                format!("\"{}\" is not a valid header name", key.get_ref()),
            ));
        }
        let expect = match value.get_ref() {
            toml::Value::Boolean(true) => HeaderExpect::Present,
            toml::Value::Boolean(false) => HeaderExpect::Absent,
            toml::Value::String(s) => {
                let written = ctx.subst_str(s, value, &here)?;
                let (text, compiled) = compile_template(ctx, b, value, &here, &written)?;
                if let Some(compiled) = compiled {
                    template
                        .check_headers
                        .push((key.get_ref().clone(), compiled));
                }
                HeaderExpect::Equals(text)
            }
            _ => {
                return Err(ctx
                    .err(value, &here, "expected a string (the value must equal it) or true / false (present / absent)")
                    .with_hint("write e.g. header = { \"X-Cache\" = \"HIT\", ETag = true }"));
            }
        };
        headers.push((key.get_ref().clone(), expect));
    }
    Ok(headers)
}
