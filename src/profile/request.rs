//! One `[[request]]` → [`RequestSpec`]: method, path, weight, body, check.

use std::ops::Range;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde_spanned::Spanned;

use super::error::ProfileError;
use super::raw::{RawCheck, RawRequest, RawStatuses};
use super::values::Ctx;
use super::{Body, Check, RequestSpec};

/// Methods a request may use (an extension method is almost always a typo).
const METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT",
];

/// Resolves `request[index]`; `raw` is the whole table, so a missing key can point at it.
pub(crate) fn resolve_request(
    ctx: &Ctx<'_>,
    index: usize,
    raw: &Spanned<RawRequest>,
) -> Result<RequestSpec, ProfileError> {
    let field = |key: &str| format!("request[{index}].{key}");
    let table = raw.get_ref();

    let method = match &table.method {
        None => "GET".to_string(),
        Some(method) => {
            let upper = method.get_ref().trim().to_ascii_uppercase();
            if !METHODS.contains(&upper.as_str()) {
                return Err(ctx.err(
                    method,
                    field("method"),
                    format!(
                        "unknown method \"{}\"; use one of {}",
                        method.get_ref(),
                        METHODS.join(", ")
                    ),
                ));
            }
            upper
        }
    };

    let Some(raw_path) = &table.path else {
        return Err(ctx
            .err(raw, field("path"), "missing required key \"path\"")
            .with_hint("add e.g. path = \"/ping\" (or an absolute \"http://host:port/path\")"));
    };
    let path = ctx.subst(raw_path, &field("path"))?;
    check_path(&path).map_err(|(why, hint)| {
        let err = ctx.err(raw_path, field("path"), why);
        match hint {
            Some(hint) => err.with_hint(hint),
            None => err,
        }
    })?;

    let name = match &table.name {
        Some(name) if name.get_ref().trim().is_empty() => {
            return Err(ctx.err(name, field("name"), "name must not be empty"));
        }
        Some(name) => name.get_ref().trim().to_string(),
        None => path.clone(),
    };

    let weight = match &table.weight {
        None => 1,
        Some(weight) => {
            let w = *weight.get_ref();
            if w < 1 {
                return Err(ctx.err(
                    weight,
                    field("weight"),
                    "weight must be at least 1 (a request with weight 0 would never run)",
                ));
            }
            u32::try_from(w).map_err(|_| {
                ctx.err(
                    weight,
                    field("weight"),
                    format!("weight {w} is too large (at most {})", u32::MAX),
                )
            })?
        }
    };

    let timeout = table
        .timeout
        .as_ref()
        .map(|t| ctx.positive_duration(t, &field("timeout")))
        .transpose()?;
    let headers = match &table.headers {
        Some(headers) => ctx.headers(headers, &field("headers"))?,
        None => Vec::new(),
    };

    Ok(RequestSpec {
        name,
        weight,
        method,
        path,
        timeout,
        headers,
        body: resolve_body(ctx, index, table)?,
        check: match &table.check {
            Some(check) => resolve_check(ctx, index, check)?,
            None => Check::default(),
        },
    })
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
    index: usize,
    table: &RawRequest,
) -> Result<Option<Body>, ProfileError> {
    let field = |key: &str| format!("request[{index}].{key}");
    let set: Vec<(&str, Range<usize>)> = [
        ("body", table.body.as_ref().map(Spanned::span)),
        ("json", table.json.as_ref().map(Spanned::span)),
        ("body_file", table.body_file.as_ref().map(Spanned::span)),
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
                "keep one of body (text), json (a TOML value sent as JSON) and body_file (a path)",
            ));
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
        let candidates = body_file_candidates(ctx.file(), Path::new(&written));
        let Some(found) = candidates.iter().find(|p| p.is_file()) else {
            let looked: Vec<String> = candidates
                .iter()
                .map(|p| format!("\"{}\"", p.display()))
                .collect();
            return Err(ctx
                .err(file, field("body_file"), format!("body file \"{written}\" not found (looked at {})", looked.join(" and ")))
                .with_hint("relative paths are tried from the current directory, then from the directory above the profile's"));
        };
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

/// Where a relative `body_file` may live: the current directory first, then the
/// profile directory's parent (so `assets/x.json` works from the repo root and from
/// `profiles/`).
fn body_file_candidates(profile: &Path, file: &Path) -> Vec<PathBuf> {
    if file.is_absolute() {
        return vec![file.to_path_buf()];
    }
    let profile_dir = match profile.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let beside = profile_dir.join("..").join(file);
    if beside == file {
        vec![file.to_path_buf()]
    } else {
        vec![file.to_path_buf(), beside]
    }
}

fn resolve_check(ctx: &Ctx<'_>, index: usize, raw: &RawCheck) -> Result<Check, ProfileError> {
    let field = |key: &str| format!("request[{index}].check.{key}");
    let status = match &raw.status {
        None => None,
        Some(status) => {
            let codes: Vec<(i64, Range<usize>)> = match status.get_ref() {
                RawStatuses::One(code) => vec![(*code, status.span())],
                RawStatuses::Many(codes) => {
                    codes.iter().map(|c| (*c.get_ref(), c.span())).collect()
                }
            };
            if codes.is_empty() {
                return Err(ctx
                    .err(status, field("status"), "status list is empty, so every response would fail")
                    .with_hint("list the accepted codes, e.g. status = [200, 204], or remove the key to accept any 2xx/3xx"));
            }
            let mut out = Vec::with_capacity(codes.len());
            for (code, at) in codes {
                match u16::try_from(code) {
                    Ok(code @ 100..=599) => out.push(code),
                    _ => {
                        return Err(ctx.report.at(
                            at,
                            field("status"),
                            format!("{code} is not an HTTP status code (100 to 599)"),
                        ));
                    }
                }
            }
            Some(out)
        }
    };
    let body_contains = raw
        .body_contains
        .as_ref()
        .map(|s| ctx.subst(s, &field("body_contains")))
        .transpose()?;
    let max_duration = raw
        .max_duration
        .as_ref()
        .map(|d| ctx.positive_duration(d, &field("max_duration")))
        .transpose()?;
    Ok(Check {
        status,
        body_contains,
        max_duration,
    })
}
