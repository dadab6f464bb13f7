//! Resolved user journeys: personas, per-VU setup, flows, and what each request does
//! beyond being sent (templates, extraction, ranges, custom metrics, polling).
//!
//! Every runnable HTTP request of a profile (setup steps, persona requests, flow steps)
//! is one entry of `Profile::requests`, so the aggregator, the summary and thresholds
//! see them by name. [`Journey`] says how VUs combine them; [`StepExtras`] (parallel to
//! `Profile::requests`) holds the per-request journey options.

use std::sync::Arc;
use std::time::Duration;

use serde::{Serialize, Serializer};
use serde_json_path::JsonPath;

use super::ThinkTime;
use super::data::DataSet;
use super::template::Template;

/// How a profile's requests are combined into user journeys.
#[derive(Debug, Clone, Default)]
pub struct Journey {
    /// Empty means one implicit persona picking among every request by weight
    /// (profiles built in code, `loadpilot run URL`).
    pub personas: Vec<Persona>,
    pub flows: Vec<Flow>,
    /// Parallel to `Profile::requests`; a request past the end has no extras.
    pub steps: Vec<StepExtras>,
    /// Custom rate metrics (`metric = { name = … }`), by index.
    pub metrics: Vec<String>,
    /// Variable slots (`{{name}}`): extracted values and data-file columns.
    pub vars: Vec<String>,
}

impl Journey {
    pub fn step(&self, request: usize) -> Option<&StepExtras> {
        self.steps.get(request)
    }
}

/// A kind of user with its own share of the VUs.
#[derive(Debug, Clone)]
pub struct Persona {
    /// Empty for the implicit persona of top-level requests.
    pub name: String,
    /// Relative share of the VUs (> 0).
    pub weight: u32,
    /// Overrides `defaults.think_time`.
    pub think_time: Option<ThinkTime>,
    /// Request indices run once, in order, when a VU starts.
    pub setup: Vec<usize>,
    /// What a VU of this persona picks from on each iteration, by weight.
    pub choices: Vec<(Choice, u32)>,
    pub data: Option<Arc<DataSet>>,
}

/// One thing a VU does per iteration, picked by weight from its persona's
/// choices: a request or a whole flow. (Not an operator action: those are
/// `command::Command`s, logged as `snapshot::ActionEntry`; a key's job is a
/// `ui::keymap::KeyAction`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Index into `Profile::requests`.
    Request(usize),
    /// Index into [`Journey::flows`].
    Flow(usize),
}

/// Ordered steps run as one unit; its total time and success are a metric of its own.
#[derive(Debug, Clone)]
pub struct Flow {
    /// Unique among flows and requests (thresholds use it: `"job.p95" = "< 10s"`).
    pub name: String,
    /// Request indices, in order.
    pub steps: Vec<usize>,
}

/// What one request does beyond being sent.
#[derive(Debug, Clone, Default)]
pub struct StepExtras {
    /// Present when the path, a header or the body uses `{{…}}`.
    pub template: Option<RequestTemplate>,
    pub extract: Vec<Extract>,
    pub range: Option<RangeSpec>,
    pub metric: Option<MetricRule>,
    pub repeat_until: Option<RepeatUntil>,
    /// A setup step: its failures are the `setup` class.
    pub setup: bool,
}

impl StepExtras {
    /// No per-request work: the prepared fast path applies.
    pub fn is_plain(&self) -> bool {
        self.template.is_none()
            && self.extract.is_empty()
            && self.range.is_none()
            && self.metric.is_none()
            && self.repeat_until.is_none()
    }
}

/// The templated parts of a request (the rest is prepared once).
#[derive(Debug, Clone, Default)]
pub struct RequestTemplate {
    pub path: Option<Template>,
    /// Headers whose values are templates (they override prepared ones by name).
    pub headers: Vec<(String, Template)>,
    pub body: Option<Template>,
    /// `check.body_contains` with `{{…}}` in it.
    pub check_body_contains: Option<Template>,
    /// `check.header` values with `{{…}}` (they replace the prepared ones by name).
    pub check_headers: Vec<(String, Template)>,
    /// `check.json` string values with `{{…}}`, by index in `Check::json`.
    pub check_json: Vec<(usize, Template)>,
}

impl RequestTemplate {
    /// Whether any part reads `{{cookie.NAME}}` (the VU's jar is then looked up).
    pub fn reads_cookies(&self) -> bool {
        let mut all = self
            .path
            .iter()
            .chain(self.headers.iter().map(|(_, t)| t))
            .chain(&self.body)
            .chain(&self.check_body_contains)
            .chain(self.check_headers.iter().map(|(_, t)| t))
            .chain(self.check_json.iter().map(|(_, t)| t));
        all.any(Template::reads_cookies)
    }

    /// Nothing to render per request.
    pub fn is_empty(&self) -> bool {
        self.path.is_none()
            && self.headers.is_empty()
            && self.body.is_none()
            && self.check_body_contains.is_none()
            && self.check_headers.is_empty()
            && self.check_json.is_empty()
    }
}

/// `extract = { token = "$.token" }`: where one variable comes from.
#[derive(Debug, Clone)]
pub struct Extract {
    pub name: String,
    /// Slot in [`Journey::vars`].
    pub slot: u16,
    pub source: ExtractSource,
}

#[derive(Debug, Clone)]
pub enum ExtractSource {
    /// `"$.token"` or `"/token"`: a JSON body value (strings unquoted, others as JSON text).
    Json(JsonQuery),
    /// `"header:X-Request-Id"`.
    Header(String),
    /// `"regex:id=(\w+)"`: the first capture group (or the whole match) in the body.
    Regex(regex::Regex),
}

impl ExtractSource {
    pub fn describe(&self) -> String {
        match self {
            ExtractSource::Json(q) => q.text.clone(),
            ExtractSource::Header(h) => format!("header:{h}"),
            ExtractSource::Regex(r) => format!("regex:{}", r.as_str()),
        }
    }
}

/// `range = { chunk = "2MB", seek = "random" }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeSpec {
    pub chunk_bytes: u64,
    pub seek: Seek,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seek {
    /// Chunk after chunk, wrapping to the start.
    Sequential,
    /// A random offset each time.
    Random,
}

/// `metric = { name = "cache_hit", header = "X-Cache", equals = "HIT" }`.
#[derive(Debug, Clone)]
pub struct MetricRule {
    /// Index into [`Journey::metrics`].
    pub index: usize,
    pub source: MetricSource,
}

#[derive(Debug, Clone)]
pub enum MetricSource {
    /// Header equals the value (or, without one, is present).
    Header {
        name: String,
        equals: Option<String>,
    },
    /// JSON value equals (or, without one, exists and is not null/false).
    Json {
        query: JsonQuery,
        equals: Option<serde_json::Value>,
    },
    /// Status in the list.
    Status(Vec<(u16, u16)>),
}

/// `repeat_until = { json = "$.status", equals = "done", interval = "1s", max_attempts = 60 }`.
#[derive(Debug, Clone)]
pub struct RepeatUntil {
    pub query: JsonQuery,
    pub equals: serde_json::Value,
    /// Stop polling and fail the flow when the value equals this.
    pub fail_if: Option<serde_json::Value>,
    pub interval: Duration,
    pub max_attempts: u32,
}

/// A compiled JSONPath (`$.a.b`) or JSON pointer (`/a/b`), kept with its text.
#[derive(Debug, Clone)]
pub struct JsonQuery {
    pub text: String,
    compiled: Compiled,
}

#[derive(Debug, Clone)]
enum Compiled {
    Path(JsonPath),
    Pointer,
}

impl JsonQuery {
    /// `$…` is JSONPath (RFC 9535), `/…` (or empty) a JSON pointer (RFC 6901).
    pub fn parse(text: &str) -> Result<JsonQuery, String> {
        let text = text.trim();
        if text.starts_with('$') {
            let path = JsonPath::parse(text)
                .map_err(|e| format!("\"{text}\" is not a valid JSONPath: {e}"))?;
            Ok(JsonQuery {
                text: text.to_string(),
                compiled: Compiled::Path(path),
            })
        } else if text.is_empty() || text.starts_with('/') {
            Ok(JsonQuery {
                text: text.to_string(),
                compiled: Compiled::Pointer,
            })
        } else {
            Err(format!(
                "\"{text}\" is neither a JSONPath (starting with \"$\", e.g. \"$.token\") nor a JSON pointer (starting with \"/\", e.g. \"/token\")"
            ))
        }
    }

    /// The first value the query selects.
    pub fn first<'v>(&self, value: &'v serde_json::Value) -> Option<&'v serde_json::Value> {
        match &self.compiled {
            Compiled::Path(path) => path.query(value).first(),
            Compiled::Pointer => value.pointer(&self.text),
        }
    }
}

impl Serialize for JsonQuery {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

pub use crate::limits::parse_size;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("100KB"), Ok(100_000));
        assert_eq!(parse_size("2MB"), Ok(2_000_000));
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert_eq!(parse_size("512"), Ok(512));
        assert_eq!(parse_size("1.5 kB"), Ok(1500));
        assert!(parse_size("0KB").is_err());
        assert!(parse_size("10 parsecs").is_err());
        assert!(parse_size("MB").is_err());
    }

    #[test]
    fn json_queries() {
        let v = serde_json::json!({ "token": "abc", "job": { "id": 7 }, "items": [1, 2] });
        let q = |t: &str| JsonQuery::parse(t).unwrap();
        assert_eq!(q("$.token").first(&v), Some(&serde_json::json!("abc")));
        assert_eq!(q("$.job.id").first(&v), Some(&serde_json::json!(7)));
        assert_eq!(q("/job/id").first(&v), Some(&serde_json::json!(7)));
        assert_eq!(q("$.items[1]").first(&v), Some(&serde_json::json!(2)));
        assert_eq!(q("$.nope").first(&v), None);
        assert!(JsonQuery::parse("$..[").is_err());
        assert!(JsonQuery::parse("token").is_err());
    }
}
