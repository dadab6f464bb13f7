//! Shared field checks for `parse`: durations, `${VAR}` strings, headers, JSON bodies.
//! Each turns a spanned raw value into a resolved one or an error pointing at it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_spanned::Spanned;

use super::error::{ProfileError, Reporter};
use super::locate::quote_key;
use super::raw::{RawHeaders, RawStatuses};
use super::subst::substitute_vars;
use crate::limits::MAX_REDIRECTS;

/// What `parse` needs to resolve one profile: where errors point, and variables.
pub(crate) struct Ctx<'a> {
    pub report: Reporter<'a>,
    /// `-e KEY=VALUE` pairs; a later pair wins over an earlier one, and any pair over the environment.
    pub vars: &'a [(String, String)],
}

impl Ctx<'_> {
    /// An error at `value`'s position.
    pub fn err<T>(
        &self,
        value: &Spanned<T>,
        field: impl Into<String>,
        message: impl std::fmt::Display,
    ) -> ProfileError {
        self.report.at(value.span(), field, message)
    }

    pub fn file(&self) -> &Path {
        self.report.file
    }

    /// A `-e` variable (the last one wins), else the environment.
    pub fn lookup_var(&self, name: &str) -> Option<String> {
        self.vars
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .or_else(|| std::env::var(name).ok())
    }

    /// `${VAR}` substitution of a string field.
    pub fn subst(&self, value: &Spanned<String>, field: &str) -> Result<String, ProfileError> {
        self.subst_str(value.get_ref(), value, field)
    }

    /// `${VAR}` substitution of `text`, reporting errors at `at`.
    pub fn subst_str<T>(
        &self,
        text: &str,
        at: &Spanned<T>,
        field: &str,
    ) -> Result<String, ProfileError> {
        let lookup = |name: &str| self.lookup_var(name);
        substitute_vars(text, &lookup).map_err(|why| self.err(at, field, why))
    }

    /// A humantime duration such as `"500ms"`, `"10s"` or `"1m30s"`.
    pub fn duration(&self, value: &Spanned<String>, field: &str) -> Result<Duration, ProfileError> {
        let text = value.get_ref().trim();
        let d = humantime::parse_duration(text).map_err(|why| {
            self.err(value, field, format!("bad duration \"{text}\": {why}"))
                .with_hint("write a number and a unit, e.g. \"500ms\", \"10s\" or \"1m30s\"")
        })?;
        crate::limits::check_duration(d).map_err(|why| {
            self.err(value, field, format!("duration \"{text}\": {why}"))
                .with_hint("durations are at most 1 year (e.g. \"30s\", \"2h\", \"7d\")")
        })
    }

    /// Like [`Ctx::duration`], but zero is refused (a zero timeout fails every request).
    pub fn positive_duration(
        &self,
        value: &Spanned<String>,
        field: &str,
    ) -> Result<Duration, ProfileError> {
        let duration = self.duration(value, field)?;
        if duration.is_zero() {
            return Err(self.err(value, field, format!("{} must be above 0", last_key(field))));
        }
        Ok(duration)
    }

    /// `follow_redirects`: a whole number from 0 (off) to [`MAX_REDIRECTS`].
    pub fn redirect_hops(&self, value: &Spanned<i64>, field: &str) -> Result<u32, ProfileError> {
        let n = *value.get_ref();
        match u32::try_from(n) {
            Ok(n) if n <= MAX_REDIRECTS => Ok(n),
            _ => Err(self
                .err(
                    value,
                    field,
                    format!("{n} redirects is outside 0 to {MAX_REDIRECTS}"),
                )
                .with_hint("write e.g. follow_redirects = 5, or 0 to record the 3xx itself")),
        }
    }

    /// Header names checked as HTTP tokens; values `${VAR}`-substituted and checked.
    pub fn headers(
        &self,
        headers: &RawHeaders,
        field: &str,
    ) -> Result<Vec<(String, String)>, ProfileError> {
        let mut out = Vec::with_capacity(headers.0.len());
        for (name, value) in &headers.0 {
            let here = format!("{field}.{}", quote_key(name.get_ref()));
            if http::HeaderName::from_bytes(name.get_ref().as_bytes()).is_err() {
                return Err(self.err(
                    name,
                    here,
                    format!(
                        "\"{}\" is not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only, no spaces or colons)",
                        name.get_ref()
                    ),
                ));
            }
            let resolved = self.subst(value, &here)?;
            if http::HeaderValue::from_str(&resolved).is_err() {
                return Err(self.err(
                    value,
                    here,
                    format!("header value \"{resolved}\" contains a control character or newline"),
                ));
            }
            out.push((name.get_ref().clone(), resolved));
        }
        Ok(out)
    }

    /// A `json = …` TOML value as JSON, with `${VAR}` substituted in its strings.
    pub fn json(
        &self,
        value: &Spanned<toml::Value>,
        field: &str,
    ) -> Result<serde_json::Value, ProfileError> {
        self.json_value(value.get_ref(), value, field)
    }

    fn json_value(
        &self,
        value: &toml::Value,
        at: &Spanned<toml::Value>,
        field: &str,
    ) -> Result<serde_json::Value, ProfileError> {
        use serde_json::Value as Json;
        Ok(match value {
            toml::Value::String(s) => Json::String(self.subst_str(s, at, field)?),
            toml::Value::Integer(i) => Json::from(*i),
            toml::Value::Float(f) => match serde_json::Number::from_f64(*f) {
                Some(n) => Json::Number(n),
                None => {
                    return Err(self.err(at, field, format!("{f} cannot be written as JSON")));
                }
            },
            toml::Value::Boolean(b) => Json::Bool(*b),
            // JSON has no date type; send the TOML text (RFC 3339).
            toml::Value::Datetime(d) => Json::String(d.to_string()),
            toml::Value::Array(items) => Json::Array(
                items
                    .iter()
                    .map(|item| self.json_value(item, at, field))
                    .collect::<Result<_, _>>()?,
            ),
            toml::Value::Table(table) => Json::Object(
                table
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), self.json_value(v, at, field)?)))
                    .collect::<Result<_, ProfileError>>()?,
            ),
        })
    }
}

/// `request[0].timeout` → `timeout`.
fn last_key(field: &str) -> &str {
    field.rsplit('.').next().unwrap_or(field)
}

/// Where a relative `body_file` (or data file) may live: the current directory first, then the
/// profile directory's parent (so `assets/x.json` works from the repo root and from
/// `profiles/`).
/// Finds a file a profile names (`body_file`, a data file), or an error at `at`
/// naming every place that was tried.
pub(crate) fn find_file<T>(
    ctx: &Ctx<'_>,
    at: &Spanned<T>,
    field: &str,
    what: &str,
    written: &str,
) -> Result<PathBuf, ProfileError> {
    let candidates = file_candidates(ctx.file(), Path::new(written));
    match candidates.iter().find(|p| p.is_file()) {
        Some(found) => Ok(found.clone()),
        None => {
            let looked: Vec<String> = candidates
                .iter()
                .map(|p| format!("\"{}\"", p.display()))
                .collect();
            Err(ctx
                .err(
                    at,
                    field,
                    format!("{what} \"{written}\" not found (looked at {})", looked.join(" and ")),
                )
                .with_hint("relative paths are tried from the current directory, then from the directory above the profile's"))
        }
    }
}

fn file_candidates(profile: &Path, file: &Path) -> Vec<PathBuf> {
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

/// `"2xx"`, `"200-299"`, `"200-299,404"` → inclusive ranges.
pub(crate) fn parse_status_ranges(text: &str) -> Result<Vec<(u16, u16)>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let code = |t: &str| match t.trim().parse::<u16>() {
            Ok(c @ 100..=599) => Ok(c),
            _ => Err(format!(
                "\"{}\" is not an HTTP status code (100 to 599)",
                t.trim()
            )),
        };
        let range = if let Some(class) = part.strip_suffix("xx").or(part.strip_suffix("XX")) {
            let digit = code(&format!("{class}00"))?;
            (digit, digit + 99)
        } else if let Some((a, b)) = part.split_once('-') {
            let (a, b) = (code(a)?, code(b)?);
            if a > b {
                return Err(format!("status range \"{part}\" runs backwards"));
            }
            (a, b)
        } else {
            let c = code(part)?;
            (c, c)
        };
        out.push(range);
    }
    if out.is_empty() {
        return Err("no status codes given".into());
    }
    Ok(out)
}

/// Any status form → inclusive ranges (for `metric.status`).
pub(crate) fn statuses_to_ranges(
    ctx: &Ctx<'_>,
    field: &str,
    status: &Spanned<RawStatuses>,
) -> Result<Vec<(u16, u16)>, ProfileError> {
    let bad = |why: String| ctx.err(status, field, why);
    match status.get_ref() {
        RawStatuses::Ranges(text) => parse_status_ranges(text).map_err(bad),
        RawStatuses::One(c) => parse_status_ranges(&c.to_string()).map_err(bad),
        RawStatuses::Many(codes) => codes
            .iter()
            .map(|c| parse_status_ranges(&c.get_ref().to_string()).map(|r| r[0]))
            .collect::<Result<_, _>>()
            .map_err(bad),
    }
}
