//! The profile as written: serde mirrors of the TOML, before validation.
//!
//! Every struct denies unknown keys (serde's message lists the valid ones, which we
//! reword), and every field that can fail a semantic check is `Spanned` so the
//! error can point at it. Values stay as written (durations as strings, weights as
//! `i64`) so `parse` can explain a bad one instead of serde's generic type error.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_spanned::Spanned;

/// Top-level keys.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProfile {
    pub name: Option<Spanned<String>>,
    pub description: Option<String>,
    pub base_url: Option<Spanned<String>>,
    pub load: Option<Spanned<RawLoad>>,
    pub defaults: Option<RawDefaults>,
    #[serde(default)]
    pub request: Vec<Spanned<RawRequest>>,
    pub thresholds: Option<RawThresholds>,
    /// Setup steps of the implicit persona (top-level requests and flows).
    #[serde(default)]
    pub setup: Vec<Spanned<RawRequest>>,
    #[serde(default)]
    pub flow: Vec<Spanned<RawFlow>>,
    #[serde(default)]
    pub persona: Vec<Spanned<RawPersona>>,
    /// Data file of the implicit persona.
    pub data: Option<Spanned<RawData>>,
    /// Extra secret header/variable names and literal values to hide.
    #[serde(default)]
    pub redact: Vec<Spanned<String>>,
    /// Close the dashboard when the run ends (`--exit-on-end`).
    pub exit_on_end: Option<bool>,
}

/// One `[[persona]]`: a kind of user with its own share of the VUs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPersona {
    pub name: Option<Spanned<String>>,
    pub weight: Option<Spanned<i64>>,
    pub think_time: Option<Spanned<String>>,
    pub data: Option<Spanned<RawData>>,
    #[serde(default)]
    pub setup: Vec<Spanned<RawRequest>>,
    #[serde(default)]
    pub request: Vec<Spanned<RawRequest>>,
    #[serde(default)]
    pub flow: Vec<Spanned<RawFlow>>,
}

/// One `[[flow]]`: ordered steps picked as one unit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFlow {
    pub name: Option<Spanned<String>>,
    pub weight: Option<Spanned<i64>>,
    #[serde(default)]
    pub step: Vec<Spanned<RawRequest>>,
}

/// `data = { file = "assets/users.csv", mode = "per-vu" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawData {
    pub file: Spanned<String>,
    pub mode: Option<Spanned<String>>,
}

/// `range = { chunk = "2MB", seek = "random" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRange {
    pub chunk: Spanned<String>,
    pub seek: Option<Spanned<String>>,
}

/// `multipart = { field = "file", size = "100KB", filename = "x.bin", content_type = "…" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMultipart {
    pub field: Option<Spanned<String>>,
    pub size: Spanned<String>,
    pub filename: Option<Spanned<String>>,
    pub content_type: Option<Spanned<String>>,
}

/// `metric = { name = "cache_hit", header = "X-Cache", equals = "HIT" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMetric {
    pub name: Spanned<String>,
    pub header: Option<Spanned<String>>,
    pub json: Option<Spanned<String>>,
    pub status: Option<Spanned<RawStatuses>>,
    pub equals: Option<Spanned<toml::Value>>,
}

/// `repeat_until = { json = "$.status", equals = "done", interval = "1s", max_attempts = 60 }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRepeatUntil {
    pub json: Spanned<String>,
    pub equals: Spanned<toml::Value>,
    pub fail_if: Option<Spanned<toml::Value>>,
    pub interval: Option<Spanned<String>>,
    pub max_attempts: Option<Spanned<i64>>,
}

/// `[load]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLoad {
    pub executor: Option<Spanned<String>>,
    pub stages: Option<Spanned<RawStages>>,
    /// Open model: a constant rate, with `duration`.
    pub rate: Option<Spanned<i64>>,
    pub duration: Option<Spanned<String>>,
    pub max_vus: Option<Spanned<i64>>,
    pub pre_allocated_vus: Option<Spanned<i64>>,
    pub graceful_stop: Option<Spanned<String>>,
    /// `segment = "3/8"`: run the 3rd of 8 equal parts of the load.
    pub segment: Option<Spanned<String>>,
}

/// `stages = "30s:10,1m:50"` or `stages = [ { duration = "30s", target = 10 }, … ]`.
///
/// A hand-written visitor instead of `#[serde(untagged)]`, which would replace every
/// inner error (a typo in `duration`, a negative target) with "did not match any variant".
#[derive(Debug)]
pub(crate) enum RawStages {
    Text(String),
    List(Vec<Spanned<RawStage>>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStage {
    /// `name = "peak"`: shown in the per-stage results, used by stage-scoped thresholds.
    pub name: Option<Spanned<String>>,
    pub duration: Spanned<String>,
    pub target: Spanned<i64>,
}

/// `[defaults]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDefaults {
    pub timeout: Option<Spanned<String>>,
    pub headers: Option<RawHeaders>,
    pub think_time: Option<Spanned<String>>,
    /// The per-VU cookie jar for every request (on unless `false`).
    pub cookies: Option<bool>,
    /// Redirect hops followed per request (10 unless set; 0 turns following off).
    pub follow_redirects: Option<Spanned<i64>>,
}

/// One `[[request]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRequest {
    pub name: Option<Spanned<String>>,
    pub weight: Option<Spanned<i64>>,
    pub method: Option<Spanned<String>>,
    pub path: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    pub headers: Option<RawHeaders>,
    pub body: Option<Spanned<String>>,
    pub json: Option<Spanned<toml::Value>>,
    pub body_file: Option<Spanned<String>>,
    pub check: Option<RawCheck>,
    pub extract: Option<RawPairs<String>>,
    pub range: Option<Spanned<RawRange>>,
    pub multipart: Option<Spanned<RawMultipart>>,
    pub metric: Option<Spanned<RawMetric>>,
    pub repeat_until: Option<Spanned<RawRepeatUntil>>,
    /// Overrides `defaults.cookies` for this request.
    pub cookies: Option<bool>,
    /// Overrides `defaults.follow_redirects` for this request.
    pub follow_redirects: Option<Spanned<i64>>,
}

/// `check = { … }` of a request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCheck {
    pub status: Option<Spanned<RawStatuses>>,
    pub body_contains: Option<Spanned<String>>,
    pub max_duration: Option<Spanned<String>>,
    /// `json = { "$.ok" = true }`: JSONPath (or pointer) → expected value.
    pub json: Option<RawPairs<toml::Value>>,
    /// `header = { "X-Cache" = "HIT", ETag = true }`: equals a string, or present (`true`) / absent (`false`).
    pub header: Option<RawPairs<toml::Value>>,
}

/// `status = 200`, `status = [200, 204]` or `status = "2xx"` / `"200-299,404"`.
#[derive(Debug)]
pub(crate) enum RawStatuses {
    /// Located by the enclosing `Spanned`.
    One(i64),
    Many(Vec<Spanned<i64>>),
    Ranges(String),
}

/// A `{ key = value }` table in file order, keys and values located.
#[derive(Debug)]
pub(crate) struct RawPairs<V>(pub Vec<(Spanned<String>, Spanned<V>)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for RawPairs<V> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for PairsVisitor<V> {
            type Value = RawPairs<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table, e.g. { token = \"$.token\" }")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawPairs<V>, A::Error> {
                let mut pairs: Vec<(Spanned<String>, Spanned<V>)> = Vec::new();
                while let Some(key) = map.next_key()? {
                    pairs.push((key, map.next_value()?));
                }
                // toml hands keys over sorted; keep the file's order instead.
                pairs.sort_by_key(|(key, _)| key.span().start);
                Ok(RawPairs(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor(std::marker::PhantomData))
    }
}

/// A `{ "Name" = "value" }` table, in file order.
#[derive(Debug, Default)]
pub(crate) struct RawHeaders(pub Vec<(Spanned<String>, Spanned<String>)>);

/// `[thresholds]`: `metric = "op value"` entries plus `abort_on_fail`.
#[derive(Debug, Default)]
pub(crate) struct RawThresholds {
    pub entries: Vec<(Spanned<String>, Spanned<RawThresholdValue>)>,
    pub abort_on_fail: Option<Spanned<bool>>,
}

/// One threshold's value: `"< 500ms"`, or `{ expr = "< 500ms", allow_empty = true }`.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawThresholdValue {
    pub expr: String,
    /// Pass when the scope recorded nothing (default: no data fails).
    pub allow_empty: bool,
}

impl<'de> Deserialize<'de> for RawThresholdValue {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = RawThresholdValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a comparison like \"< 500ms\", or a table like { expr = \"< 500ms\", allow_empty = true }",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawThresholdValue, E> {
                Ok(RawThresholdValue {
                    expr: v.to_string(),
                    allow_empty: false,
                })
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<RawThresholdValue, A::Error> {
                let (mut expr, mut allow_empty) = (None, false);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "expr" => expr = Some(map.next_value::<String>()?),
                        "allow_empty" => allow_empty = map.next_value()?,
                        other => {
                            return Err(de::Error::unknown_field(other, &["expr", "allow_empty"]));
                        }
                    }
                }
                let expr = expr.ok_or_else(|| de::Error::missing_field("expr"))?;
                Ok(RawThresholdValue { expr, allow_empty })
            }
        }
        deserializer.deserialize_any(ValueVisitor)
    }
}

impl<'de> Deserialize<'de> for RawStages {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StagesVisitor;
        impl<'de> Visitor<'de> for StagesVisitor {
            type Value = RawStages;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a stage string like \"30s:10,1m:50\" or a list like [ { duration = \"30s\", target = 10 } ]",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawStages, E> {
                Ok(RawStages::Text(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawStages, A::Error> {
                let mut stages = Vec::new();
                while let Some(stage) = seq.next_element()? {
                    stages.push(stage);
                }
                Ok(RawStages::List(stages))
            }
        }
        deserializer.deserialize_any(StagesVisitor)
    }
}

impl<'de> Deserialize<'de> for RawStatuses {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StatusVisitor;
        impl<'de> Visitor<'de> for StatusVisitor {
            type Value = RawStatuses;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a status code, a list of them (e.g. [200, 204]) or a range (e.g. \"2xx\", \"200-299\")")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawStatuses, E> {
                Ok(RawStatuses::One(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawStatuses, E> {
                Ok(RawStatuses::Ranges(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawStatuses, A::Error> {
                let mut codes = Vec::new();
                while let Some(code) = seq.next_element()? {
                    codes.push(code);
                }
                Ok(RawStatuses::Many(codes))
            }
        }
        deserializer.deserialize_any(StatusVisitor)
    }
}

impl<'de> Deserialize<'de> for RawHeaders {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HeadersVisitor;
        impl<'de> Visitor<'de> for HeadersVisitor {
            type Value = RawHeaders;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table of header names to string values, e.g. { \"User-Agent\" = \"loadpilot\" }")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawHeaders, A::Error> {
                let mut headers = Vec::new();
                while let Some(name) = map.next_key()? {
                    headers.push((name, map.next_value()?));
                }
                // toml hands keys over sorted; keep the file's order instead.
                headers.sort_by_key(|(name, _): &(Spanned<String>, _)| name.span().start);
                Ok(RawHeaders(headers))
            }
        }
        deserializer.deserialize_map(HeadersVisitor)
    }
}

impl<'de> Deserialize<'de> for RawThresholds {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ThresholdsVisitor;
        impl<'de> Visitor<'de> for ThresholdsVisitor {
            type Value = RawThresholds;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table of metric = \"OP VALUE\", e.g. p95 = \"< 500ms\"")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawThresholds, A::Error> {
                let mut out = RawThresholds::default();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    if key.get_ref() == "abort_on_fail" {
                        out.abort_on_fail = Some(map.next_value()?);
                    } else {
                        out.entries.push((key, map.next_value()?));
                    }
                }
                // toml hands keys over sorted; keep the file's order for reports.
                out.entries.sort_by_key(|(key, _)| key.span().start);
                Ok(out)
            }
        }
        deserializer.deserialize_map(ThresholdsVisitor)
    }
}
