//! Scenario profiles: TOML in `profiles/` → a resolved [`Profile`].
//!
//! `parse` turns TOML text into these types, checking every field and naming the
//! file, line, column and field of anything wrong ([`ProfileError`]). The types here
//! are the resolved form the engine runs: durations parsed, `${VAR}` substituted,
//! bodies loaded, thresholds parsed.

pub mod data;
mod error;
mod extras;
pub mod journey;
mod journey_parse;
mod locate;
mod parse;
mod raw;
mod request;
mod subst;
pub mod template;
mod values;

use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;

pub use journey::{Choice, Flow, Journey, JsonQuery, Persona, StepExtras};
pub use parse::{ProfileError, load_profile, parse_profile};
pub use subst::substitute_vars;

use crate::plan::{LoadModel, Stage};
use crate::threshold::{Threshold, ThresholdError};

/// Default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time in-flight requests get to finish at the end of a run.
pub const DEFAULT_GRACEFUL_STOP: Duration = Duration::from_secs(30);

/// A resolved scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    pub name: String,
    pub description: Option<String>,
    /// Scheme, host and optional port (and optional path prefix), e.g. `http://127.0.0.1:8080`.
    pub base_url: String,
    pub load: Load,
    pub defaults: Defaults,
    pub requests: Vec<RequestSpec>,
    pub thresholds: Vec<Threshold>,
    /// End the run as soon as a threshold fails.
    pub abort_on_fail: bool,
    /// `exit_on_end = true`: the dashboard closes when the run ends instead of
    /// staying on the final frame (unattended runs on a terminal).
    pub exit_on_end: bool,
    /// `redact = [...]`: extra header or variable names whose values are secrets,
    /// and literal values to hide from every output (never serialised: it may hold secrets).
    #[serde(skip)]
    pub redact: Vec<String>,
    /// Personas, setup, flows and per-request journey options (empty for plain profiles).
    #[serde(skip)]
    pub journey: Journey,
}

#[derive(Debug, Clone, Serialize)]
pub struct Load {
    /// Targets in `model`'s unit: VUs, or arrivals per second.
    pub stages: Vec<Stage>,
    #[serde(with = "crate::plan::humantime_serde_compat")]
    pub graceful_stop: Duration,
    /// `executor = "vus"` (closed model, the default) or `"arrival-rate"` (open).
    pub model: LoadModel,
    /// Open model: the most VUs serving arrivals (`None`: sized from the rate).
    pub max_vus: Option<u32>,
    /// Open model: VUs started (and set up) before the first arrival.
    pub pre_allocated_vus: Option<u32>,
    /// Each stage's name (`name = "peak"`; index = stage; `None`: unnamed). Empty
    /// when no stage is named. Stage-scoped thresholds (`"peak.p95"`) use them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stage_names: Vec<Option<String>>,
    /// `segment = "3/8"`: this process runs only its share of the load (VUs,
    /// arrivals, `-n` requests, data rows); `None` runs the whole. See [`crate::segment`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<crate::segment::Segment>,
}

impl Load {
    /// A closed-model load over `stages`.
    pub fn vus(stages: Vec<Stage>) -> Load {
        Load {
            stages,
            graceful_stop: DEFAULT_GRACEFUL_STOP,
            model: LoadModel::Vus,
            max_vus: None,
            pre_allocated_vus: None,
            stage_names: Vec::new(),
            segment: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Defaults {
    #[serde(with = "crate::plan::humantime_serde_compat")]
    pub timeout: Duration,
    /// Headers sent with every request (a request's own headers override by name).
    pub headers: Vec<(String, String)>,
    pub think_time: ThinkTime,
    /// Each VU keeps a cookie jar: `Set-Cookie` is stored, `Cookie` sent back.
    pub cookies: bool,
    /// Redirect hops a request follows (0: the 3xx is the response).
    pub follow_redirects: u32,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            timeout: DEFAULT_TIMEOUT,
            headers: Vec::new(),
            think_time: ThinkTime::NONE,
            cookies: true,
            follow_redirects: crate::limits::DEFAULT_REDIRECTS,
        }
    }
}

/// Pause between a VU's requests, uniform in `min..=max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ThinkTime {
    pub min: Duration,
    pub max: Duration,
}

impl ThinkTime {
    pub const NONE: ThinkTime = ThinkTime {
        min: Duration::ZERO,
        max: Duration::ZERO,
    };

    /// Parses `"1s"` or `"1s..3s"`.
    pub fn parse(text: &str) -> Result<ThinkTime, String> {
        let parse = |t: &str| {
            let d = humantime::parse_duration(t.trim())
                .map_err(|e| format!("bad duration \"{}\": {e}", t.trim()))?;
            crate::limits::check_duration(d).map_err(|e| format!("\"{}\": {e}", t.trim()))
        };
        match text.split_once("..") {
            Some((a, b)) => {
                let (min, max) = (parse(a)?, parse(b)?);
                if min > max {
                    return Err(format!(
                        "think time \"{text}\": the minimum is above the maximum"
                    ));
                }
                Ok(ThinkTime { min, max })
            }
            None => {
                let d = parse(text)?;
                Ok(ThinkTime { min: d, max: d })
            }
        }
    }
}

/// One weighted request a VU may pick.
#[derive(Debug, Clone, Serialize)]
pub struct RequestSpec {
    pub name: String,
    /// Relative weight (> 0).
    pub weight: u32,
    pub method: String,
    /// Path and query appended to `base_url` (starts with `/`), or an absolute
    /// `http://` / `https://` URL that replaces the base for this request.
    pub path: String,
    /// Overrides `defaults.timeout` for this request.
    #[serde(with = "opt_duration")]
    pub timeout: Option<Duration>,
    /// Request headers (after the profile defaults).
    pub headers: Vec<(String, String)>,
    pub body: Option<Body>,
    pub check: Check,
    /// Overrides `defaults.cookies` for this request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cookies: Option<bool>,
    /// Overrides `defaults.follow_redirects` for this request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_redirects: Option<u32>,
}

/// A request body, loaded once at start.
#[derive(Debug, Clone, Serialize)]
pub struct Body {
    #[serde(skip)]
    pub bytes: Bytes,
    /// Content type to send unless a header sets one (`application/json` for `json = …`).
    pub content_type: Option<String>,
    /// Where it came from, for reports: "inline", "json" or the body file's path.
    pub source: String,
}

/// What a response must satisfy to count as a success.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Check {
    /// Accepted statuses; `None` (and no `status_ranges`) means any 2xx/3xx.
    pub status: Option<Vec<u16>>,
    pub body_contains: Option<String>,
    #[serde(with = "opt_duration")]
    pub max_duration: Option<Duration>,
    /// Accepted inclusive status ranges (`status = "2xx"` or `"200-299,404"`).
    pub status_ranges: Vec<(u16, u16)>,
    /// `json = { "$.ok" = true }`: the first value each query selects must equal the value.
    pub json: Vec<(journey::JsonQuery, serde_json::Value)>,
    /// `header = { "X-Cache" = "HIT", ETag = true }`.
    pub headers: Vec<(String, HeaderExpect)>,
}

/// What a header check wants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HeaderExpect {
    Present,
    Absent,
    Equals(String),
}

impl Check {
    pub fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.body_contains.is_none()
            && self.max_duration.is_none()
            && self.status_ranges.is_empty()
            && self.json.is_empty()
            && self.headers.is_empty()
    }

    /// Whether `status` is accepted by the explicit status check (None: no explicit one).
    pub fn status_allows(&self, status: u16) -> Option<bool> {
        if self.status.is_none() && self.status_ranges.is_empty() {
            return None;
        }
        Some(
            self.status.as_ref().is_some_and(|s| s.contains(&status))
                || self
                    .status_ranges
                    .iter()
                    .any(|&(a, b)| (a..=b).contains(&status)),
        )
    }

    /// One label per check item, in the order they are evaluated and counted:
    /// status, body_contains, each json, each header, max_duration.
    pub fn item_labels(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(allowed) = self.status_allows_label() {
            out.push(allowed);
        }
        if let Some(needle) = &self.body_contains {
            out.push(format!("body_contains \"{needle}\""));
        }
        for (query, value) in &self.json {
            out.push(format!("json {} == {value}", query.text));
        }
        for (name, expect) in &self.headers {
            out.push(match expect {
                HeaderExpect::Present => format!("header {name} present"),
                HeaderExpect::Absent => format!("header {name} absent"),
                HeaderExpect::Equals(v) => format!("header {name} == \"{v}\""),
            });
        }
        if let Some(max) = self.max_duration {
            out.push(format!("max_duration {}", humantime::format_duration(max)));
        }
        out
    }

    fn status_allows_label(&self) -> Option<String> {
        if self.status.is_none() && self.status_ranges.is_empty() {
            return None;
        }
        let mut parts: Vec<String> = self
            .status
            .iter()
            .flatten()
            .map(|c| c.to_string())
            .collect();
        parts.extend(self.status_ranges.iter().map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        }));
        Some(format!("status in [{}]", parts.join(", ")))
    }
}

mod opt_duration {
    use std::time::Duration;

    use serde::Serializer;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&humantime::format_duration(*d).to_string()),
            None => s.serialize_none(),
        }
    }
}

/// A `loadpilot run URL` target that is not an http(s) URL with a host.
#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    #[error("\"{url}\" is not a URL: {source}")]
    NotAUrl {
        url: String,
        source: http::uri::InvalidUri,
    },
    #[error("\"{0}\" needs a scheme and host, e.g. http://127.0.0.1:8080/ping")]
    NoHost(String),
    #[error("\"{0}\": only http and https are supported")]
    Scheme(String),
}

/// A threshold on a custom rate metric (`cache_hit > 80%`), read like `error_rate`;
/// its `request` names the metric.
pub fn metric_rate_threshold(metric: &str, condition: &str) -> Result<Threshold, ThresholdError> {
    let mut t = crate::threshold::parse_threshold(&format!("error_rate {condition}"))
        .map_err(|why| why.renamed("error_rate", metric))?;
    t.expr = t.expr.replacen("error_rate", metric, 1);
    t.request = Some(metric.to_string());
    t.stat = crate::threshold::Stat::MetricRate;
    Ok(t)
}

/// The names a threshold key may start with: requests, flows, stages.
pub(crate) struct ScopeNames<'a> {
    pub requests: &'a [RequestSpec],
    pub journey: &'a Journey,
    pub stages: &'a [Option<String>],
}

impl ScopeNames<'_> {
    /// Whether `name` (the key's prefix) names something this threshold can read:
    /// a request, flow or stage, and only a stage for a health metric
    /// (`soak.target.rss_slope`). Err: the message and a hint.
    pub fn check(&self, threshold: &Threshold, name: &str) -> Result<(), (String, Option<String>)> {
        let is_stage = self.stages.iter().flatten().any(|s| s == name);
        let stage_list = || {
            let named: Vec<&str> = self.stages.iter().flatten().map(String::as_str).collect();
            if named.is_empty() {
                "no stage has a name".to_string()
            } else {
                format!("stages: {}", named.join(", "))
            }
        };
        if threshold.stat.health().is_some() {
            return if is_stage {
                Ok(())
            } else {
                Err((
                    format!(
                        "threshold \"{}\" names stage \"{name}\", but no stage has that name ({})",
                        threshold.expr,
                        stage_list()
                    ),
                    Some("name a stage with name = \"soak\" in [load] stages".into()),
                ))
            };
        }
        let names: Vec<&str> = self
            .requests
            .iter()
            .map(|r| r.name.as_str())
            .chain(self.journey.flows.iter().map(|f| f.name.as_str()))
            .collect();
        if is_stage || names.contains(&name) {
            return Ok(());
        }
        let why = if self.stages.iter().all(Option::is_none) {
            format!(
                "threshold \"{}\" names request \"{name}\", but no request has that name (requests: {})",
                threshold.expr,
                names.join(", ")
            )
        } else {
            format!(
                "threshold \"{}\" names request \"{name}\", but no request or stage has that name (requests: {}; {})",
                threshold.expr,
                names.join(", "),
                stage_list()
            )
        };
        let all: Vec<&str> = names
            .iter()
            .copied()
            .chain(self.stages.iter().flatten().map(String::as_str))
            .collect();
        Err((
            why,
            error::did_you_mean(name, &all).map(|near| format!("did you mean \"{near}\"?")),
        ))
    }
}

impl Profile {
    /// Parses a threshold written as one expression, as `--threshold` takes it:
    /// custom metrics (`cache_hit > 80%`) included, and a named request or flow
    /// (`ping.p95 < 200ms`, `job.p95 < 10s`) must exist.
    pub fn parse_threshold_expr(&self, expr: &str) -> Result<Threshold, ThresholdError> {
        if let Some((metric, condition)) = expr.trim().split_once(char::is_whitespace)
            && self.journey.metrics.iter().any(|m| m == metric)
        {
            return metric_rate_threshold(metric, condition);
        }
        let t = crate::threshold::parse_threshold(expr)?;
        if let Some(name) = &t.request {
            let scopes = ScopeNames {
                requests: &self.requests,
                journey: &self.journey,
                stages: &self.load.stage_names,
            };
            if scopes.check(&t, name).is_err() {
                return Err(ThresholdError::UnknownName {
                    expr: expr.to_string(),
                    name: name.clone(),
                });
            }
        }
        Ok(t)
    }

    /// A profile for `loadpilot run URL`: one GET of the URL's path.
    pub fn for_url(url: &str, stages: Vec<Stage>) -> Result<Profile, UrlError> {
        let uri: http::Uri = url.parse().map_err(|e| UrlError::NotAUrl {
            url: url.to_string(),
            source: e,
        })?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(UrlError::NoHost(url.to_string()));
        };
        if scheme != "http" && scheme != "https" {
            return Err(UrlError::Scheme(url.to_string()));
        }
        let path = uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
            .to_string();
        let name = uri.path().trim_matches('/').to_string();
        Ok(Profile {
            name: if name.is_empty() {
                "root".into()
            } else {
                name.replace('/', "_")
            },
            description: None,
            base_url: format!("{scheme}://{authority}"),
            load: Load::vus(stages),
            defaults: Defaults::default(),
            requests: vec![RequestSpec {
                name: if path == "/" {
                    "GET /".into()
                } else {
                    path.clone()
                },
                weight: 1,
                method: "GET".into(),
                path,
                timeout: None,
                headers: Vec::new(),
                body: None,
                check: Check::default(),
                cookies: None,
                follow_redirects: None,
            }],
            thresholds: Vec::new(),
            abort_on_fail: false,
            exit_on_end: false,
            redact: Vec::new(),
            journey: Journey::default(),
        })
    }
}
