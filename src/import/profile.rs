//! Recorded [`Call`]s → a profile's TOML: identical calls become one request
//! weighted by how often it was made, the pauses between calls become the think
//! time, and secrets become `${VARS}`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use http::Uri;

use super::{Call, ImportError, ImportOptions};
use crate::redact::is_sensitive_name;

/// A written profile and what the user should know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub toml: String,
    /// What was dropped or changed, one line each (the variables the profile
    /// needs with `-e NAME=VALUE` among them).
    pub notes: Vec<String>,
}

/// Headers a recording carries that a profile must not: the connection's own
/// (hop-by-hop, HTTP/2 pseudo-headers, sizes), cookies (the browser's session) and
/// `Accept-Encoding` (loadpilot counts bytes as they arrive and does not inflate).
fn is_dropped_header(name: &str) -> bool {
    const DROPPED: [&str; 12] = [
        "host",
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "cookie",
        "accept-encoding",
    ];
    name.starts_with(':') || DROPPED.iter().any(|d| name.eq_ignore_ascii_case(d))
}

/// Images, scripts, stylesheets, fonts and media, by the response's type or the
/// path's extension.
fn is_static(path: &str, response_type: Option<&str>) -> bool {
    const TYPES: [&str; 6] = [
        "image/",
        "font/",
        "text/css",
        "javascript",
        "video/",
        "audio/",
    ];
    const EXTENSIONS: [&str; 16] = [
        ".js", ".mjs", ".css", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp", ".avif",
        ".woff", ".woff2", ".ttf", ".map", ".mp4",
    ];
    let path = path
        .split(['?', '#'])
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    response_type.is_some_and(|t| TYPES.iter().any(|s| t.contains(s)))
        || EXTENSIONS.iter().any(|e| path.ends_with(e))
}

/// A call with its URL taken apart.
struct Located {
    call: Call,
    origin: String,
    path: String,
}

fn locate(call: Call) -> Option<Located> {
    let uri: Uri = call.url.parse().ok()?;
    let scheme = uri.scheme_str().filter(|s| *s == "http" || *s == "https")?;
    let authority = uri.authority()?.as_str();
    // `user:password@` is a secret and never part of the profile.
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let origin = format!("{scheme}://{host}");
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
    Some(Located { call, origin, path })
}

/// One request of the profile: a distinct call and how often it was made.
struct Group {
    first: Located,
    count: u32,
}

/// Writes the profile for `calls`.
pub fn render(calls: Vec<Call>, opts: &ImportOptions) -> Result<Imported, ImportError> {
    let total = calls.len();
    let mut notes = Vec::new();
    let located: Vec<Located> = calls.into_iter().filter_map(locate).collect();
    if located.len() < total {
        notes.push(format!(
            "dropped {} that were not http(s) URLs",
            calls_text(total - located.len())
        ));
    }
    let (kept, dropped_static): (Vec<Located>, Vec<Located>) = located
        .into_iter()
        .partition(|l| opts.include_static || !is_static(&l.path, l.call.response_type.as_deref()));
    if !dropped_static.is_empty() {
        notes.push(format!(
            "dropped {} to static assets (images, scripts, styles, fonts); --include-static keeps them",
            calls_text(dropped_static.len())
        ));
    }
    let main = main_origin(&kept)
        .ok_or_else(|| ImportError::Empty(format!("{total} calls, none to an API")))?;
    let (kept, other_hosts): (Vec<Located>, Vec<Located>) = kept
        .into_iter()
        .partition(|l| opts.all_hosts || l.origin == main);
    if !other_hosts.is_empty() {
        notes.push(format!(
            "dropped {} to hosts other than {main}; --all-hosts keeps them",
            calls_text(other_hosts.len())
        ));
    }
    let think = think_time(&kept);
    let groups = group(kept);
    let mut vars = Vec::new();
    let mut out = header(opts, &main, total, groups.len(), think);
    let mut names = Names::default();
    for g in &groups {
        request(&mut out, g, &main, &mut names, &mut vars);
    }
    if !vars.is_empty() {
        notes.push(format!(
            "secrets became variables: run with {}",
            vars.iter()
                .map(|v| format!("-e {v}=…"))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    Ok(Imported { toml: out, notes })
}

fn calls_text(n: usize) -> String {
    if n == 1 {
        "1 call".into()
    } else {
        format!("{n} calls")
    }
}

/// The origin with the most calls (the first one seen on a tie).
fn main_origin(calls: &[Located]) -> Option<String> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for c in calls {
        match counts.iter_mut().find(|(o, _)| *o == c.origin) {
            Some((_, n)) => *n += 1,
            None => counts.push((&c.origin, 1)),
        }
    }
    let best = counts.iter().map(|(_, n)| *n).max()?;
    counts
        .iter()
        .find(|(_, n)| *n == best)
        .map(|(o, _)| o.to_string())
}

/// Identical calls (method, URL, body) in the order first made.
fn group(calls: Vec<Located>) -> Vec<Group> {
    let mut index: HashMap<(String, String, String, Option<String>), usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for l in calls {
        let key = (
            l.call.method.to_ascii_uppercase(),
            l.origin.clone(),
            l.path.clone(),
            l.call.body.clone(),
        );
        match index.get(&key) {
            Some(&i) => groups[i].count += 1,
            None => {
                index.insert(key, groups.len());
                groups.push(Group { first: l, count: 1 });
            }
        }
    }
    groups
}

/// The middle half of the pauses between consecutive calls, as `"A..B"`: the
/// user's reading time, without the bursts of a page load or the long idle gaps.
fn think_time(calls: &[Located]) -> Option<(Duration, Duration)> {
    let mut starts: Vec<Duration> = calls.iter().filter_map(|l| l.call.at).collect();
    starts.sort();
    let mut gaps: Vec<Duration> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    if gaps.len() < 2 {
        return None;
    }
    gaps.sort();
    let round = |d: Duration| Duration::from_millis((d.as_millis() as u64).div_ceil(100) * 100);
    let cap = Duration::from_secs(60);
    let low = round(gaps[gaps.len() / 4]).min(cap);
    let high = round(gaps[gaps.len() * 3 / 4]).min(cap);
    (!high.is_zero()).then_some((low, high))
}

fn header(
    opts: &ImportOptions,
    main: &str,
    total: usize,
    requests: usize,
    think: Option<(Duration, Duration)>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Imported by `loadpilot import`: {total} recorded calls, {requests} distinct requests\n\
         # (weights are how often each was made). Review the load and the checks before running.\n"
    );
    let _ = writeln!(out, "name = {}", quote(&opts.name));
    let _ = writeln!(
        out,
        "base_url = {}",
        quote(&format!("${{BASE_URL:-{main}}}"))
    );
    let _ = writeln!(
        out,
        "\n[load]\nstages = [\n  {{ duration = \"30s\", target = 10 }},\n  {{ duration = \"1m\", target = 10 }},\n  {{ duration = \"10s\", target = 0 }},\n]"
    );
    if let Some((low, high)) = think {
        let fmt = |d: Duration| match d.as_millis() {
            ms if ms % 1000 == 0 => format!("{}s", ms / 1000),
            ms => format!("{ms}ms"),
        };
        let range = if low == high {
            fmt(low)
        } else {
            format!("{}..{}", fmt(low), fmt(high))
        };
        let _ = writeln!(
            out,
            "\n[defaults]\nthink_time = {}  # from the recording's pauses",
            quote(&range)
        );
    }
    out
}

/// Request names: the path, made unique with the method and then a number.
#[derive(Default)]
struct Names(Vec<String>);

impl Names {
    fn pick(&mut self, method: &str, path: &str) -> String {
        let bare = path.split('?').next().unwrap_or(path).trim_matches('/');
        let bare = if bare.is_empty() { "root" } else { bare };
        let mut name = bare.to_string();
        if self.0.contains(&name) {
            name = format!("{bare} {}", method.to_ascii_lowercase());
        }
        let mut n = 2;
        while self.0.contains(&name) {
            name = format!("{bare} {} {n}", method.to_ascii_lowercase());
            n += 1;
        }
        self.0.push(name.clone());
        name
    }
}

fn request(out: &mut String, g: &Group, main: &str, names: &mut Names, vars: &mut Vec<String>) {
    let call = &g.first.call;
    let method = call.method.to_ascii_uppercase();
    let path = secret_query(&g.first.path, vars);
    let path = if g.first.origin == main {
        path
    } else {
        format!("{}{path}", g.first.origin)
    };
    let _ = writeln!(out, "\n[[request]]");
    let _ = writeln!(out, "name = {}", quote(&names.pick(&method, &g.first.path)));
    if method != "GET" {
        let _ = writeln!(out, "method = {}", quote(&method));
    }
    let _ = writeln!(out, "path = {}", quote(&path));
    if g.count > 1 {
        let _ = writeln!(out, "weight = {}", g.count);
    }
    let headers: Vec<String> = unique_headers(&call.headers)
        .into_iter()
        .map(|(name, value)| {
            let value = if is_sensitive_name(name) {
                format!("${{{}}}", var_for(name, vars))
            } else {
                escape_vars(value)
            };
            format!("{} = {}", quote(name), quote(&value))
        })
        .collect();
    if !headers.is_empty() {
        let _ = writeln!(out, "headers = {{ {} }}", headers.join(", "));
    }
    if let Some(body) = &call.body {
        let _ = writeln!(out, "body = {}", quote(&escape_vars(body)));
    }
}

/// The headers to keep, the last value winning for a repeated name.
fn unique_headers(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    let mut kept: Vec<(&str, &str)> = Vec::new();
    for (name, value) in headers {
        if is_dropped_header(name) {
            continue;
        }
        match kept.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some(slot) => slot.1 = value,
            None => kept.push((name, value)),
        }
    }
    kept
}

/// Sensitive query parameters (`?token=…`) become `${VARS}`.
fn secret_query(path: &str, vars: &mut Vec<String>) -> String {
    let Some((base, query)) = path.split_once('?') else {
        return escape_vars(path);
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_sensitive_name(k) => format!("{k}=${{{}}}", var_for(k, vars)),
            _ => escape_vars(pair),
        })
        .collect();
    format!("{}?{}", escape_vars(base), query.join("&"))
}

/// `X-Api-Key` → `X_API_KEY`, remembered once.
fn var_for(name: &str, vars: &mut Vec<String>) -> String {
    let var: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if !vars.contains(&var) {
        vars.push(var.clone());
    }
    var
}

/// Recorded text is taken literally: a `$` would start a profile variable.
fn escape_vars(text: &str) -> String {
    text.replace('$', "$$")
}

fn quote(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}
