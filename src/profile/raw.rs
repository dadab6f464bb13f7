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
}

/// `[load]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLoad {
    pub stages: Option<Spanned<RawStages>>,
    pub graceful_stop: Option<Spanned<String>>,
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
}

/// `check = { … }` of a request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCheck {
    pub status: Option<Spanned<RawStatuses>>,
    pub body_contains: Option<Spanned<String>>,
    pub max_duration: Option<Spanned<String>>,
}

/// `status = 200` or `status = [200, 204]`.
#[derive(Debug)]
pub(crate) enum RawStatuses {
    /// Located by the enclosing `Spanned`.
    One(i64),
    Many(Vec<Spanned<i64>>),
}

/// A `{ "Name" = "value" }` table, in file order.
#[derive(Debug, Default)]
pub(crate) struct RawHeaders(pub Vec<(Spanned<String>, Spanned<String>)>);

/// `[thresholds]`: `metric = "op value"` entries plus `abort_on_fail`.
#[derive(Debug, Default)]
pub(crate) struct RawThresholds {
    pub entries: Vec<(Spanned<String>, Spanned<String>)>,
    pub abort_on_fail: Option<Spanned<bool>>,
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
                f.write_str("a status code or a list of them, e.g. [200, 204]")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawStatuses, E> {
                Ok(RawStatuses::One(v))
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
