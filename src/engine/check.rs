//! Judging one response: its status class first, then every check item of the
//! request (`status`, `body_contains`, `json`, `headers`, `max_duration`), each
//! tallied; the class and message of the outcome come from the first item that
//! failed. The HTTP client hands over what it read; nothing here does I/O.

use std::time::Duration;

use crate::engine::request::PreparedRequest;
use crate::outcome::OutcomeClass;
use crate::profile::HeaderExpect;

/// Check items passed and failed for one response; bit `i` of `failed_mask` is
/// item `i` of `Check::item_labels`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckTally {
    pub passed: u32,
    pub failed_mask: u64,
}

impl CheckTally {
    fn item(&mut self, index: u32, ok: bool) {
        if ok {
            self.passed += 1;
        } else if index < 64 {
            self.failed_mask |= 1 << index;
        }
    }

    /// Indices of failed items.
    pub fn failed(&self) -> impl Iterator<Item = u32> + '_ {
        (0..64).filter(|i| self.failed_mask & (1 << i) != 0)
    }
}

/// What the client read of a response, borrowed.
pub struct Observed<'a> {
    pub status: u16,
    pub headers: &'a http::HeaderMap,
    /// The body's first bytes, when a check needs them.
    pub body: Option<&'a [u8]>,
    pub json: Option<&'a serde_json::Value>,
}

/// Status class first; a 2xx/3xx (or an expected status) then has to pass the checks.
/// Every check item is evaluated and tallied; the class and message come from the
/// first that failed.
pub fn judge(
    req: &PreparedRequest,
    response: &Observed<'_>,
    latency: Duration,
    tally: &mut CheckTally,
) -> (OutcomeClass, Option<String>) {
    let mut judge = Judge {
        req,
        tally,
        item: 0,
        first: None,
    };
    if let Some(http_error) = judge.status(response.status) {
        // An HTTP error without an explicit status check: other checks are moot.
        let why = if http_error == OutcomeClass::Protocol {
            " is not a valid response status (ok is 2xx/3xx)"
        } else {
            ""
        };
        return (
            http_error,
            Some(format!("{}: HTTP {}{why}", req.name, response.status)),
        );
    }
    judge.body_contains(response.body);
    judge.json(response.json);
    judge.headers(response.headers);
    judge.max_duration(latency);
    match judge.first {
        Some((class, message)) => (class, Some(message)),
        None => (OutcomeClass::Ok, None),
    }
}

/// One response being judged: the next item's index and the first failure.
struct Judge<'a> {
    req: &'a PreparedRequest,
    tally: &'a mut CheckTally,
    item: u32,
    first: Option<(OutcomeClass, String)>,
}

impl Judge<'_> {
    /// Tallies the next item; a failure's message is built only if it is the first.
    fn record(&mut self, ok: bool, class: OutcomeClass, message: impl FnOnce() -> String) {
        self.tally.item(self.item, ok);
        self.item += 1;
        if !ok && self.first.is_none() {
            self.first = Some((class, format!("{}: {}", self.req.name, message())));
        }
    }

    /// Tallies an explicit status check; without one, returns the error class of
    /// an HTTP error status (which ends judging).
    fn status(&mut self, status: u16) -> Option<OutcomeClass> {
        let check = &self.req.check;
        let class = OutcomeClass::from_status(status);
        let Some(ok) = check.status_allows(status) else {
            return class.is_error().then_some(class);
        };
        let class = if class.is_error() {
            class
        } else {
            OutcomeClass::Check
        };
        self.record(ok, class, || {
            let allowed: Vec<String> = check
                .status
                .iter()
                .flatten()
                .map(|c| c.to_string())
                .chain(check.status_ranges.iter().map(|(a, b)| format!("{a}-{b}")))
                .collect();
            format!("status {status} is not one of [{}]", allowed.join(", "))
        });
        None
    }

    fn body_contains(&mut self, body: Option<&[u8]>) {
        let Some(needle) = &self.req.check.body_contains else {
            return;
        };
        let ok = body.is_some_and(|b| memchr::memmem::find(b, needle.as_bytes()).is_some());
        self.record(ok, OutcomeClass::Check, || {
            format!("check body_contains \"{needle}\" failed")
        });
    }

    fn json(&mut self, json: Option<&serde_json::Value>) {
        let req = self.req;
        for (query, want) in &req.check.json {
            let got = json.and_then(|j| query.first(j));
            self.record(got == Some(want), OutcomeClass::Check, || {
                match (json, got) {
                    (None, _) => format!("check json {} failed: the body is not JSON", query.text),
                    (_, None) => format!("check json {} failed: nothing matched", query.text),
                    (_, Some(got)) => {
                        format!("check json {} == {want} failed: got {got}", query.text)
                    }
                }
            });
        }
    }

    fn headers(&mut self, headers: &http::HeaderMap) {
        let req = self.req;
        for (name, expect) in &req.check.headers {
            let value = headers.get(name.as_str());
            let ok = match expect {
                HeaderExpect::Present => value.is_some(),
                HeaderExpect::Absent => value.is_none(),
                HeaderExpect::Equals(want) => {
                    value.is_some_and(|v| v.as_bytes() == want.as_bytes())
                }
            };
            self.record(ok, OutcomeClass::Check, || {
                let got = value.map_or("absent".to_string(), |v| {
                    format!("\"{}\"", String::from_utf8_lossy(v.as_bytes()))
                });
                format!("check header {name} {expect:?} failed (got {got})")
            });
        }
    }

    fn max_duration(&mut self, latency: Duration) {
        let Some(max) = self.req.check.max_duration else {
            return;
        };
        self.record(latency <= max, OutcomeClass::Check, || {
            format!(
                "check max_duration {} failed (took {})",
                fmt_duration(max),
                fmt_duration(latency)
            )
        });
    }
}

/// `850ms`, `1.25s` (check and timeout messages).
pub fn fmt_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.2}s", d.as_secs_f64())
    }
}
