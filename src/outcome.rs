//! What one request came to: its latency and its [`OutcomeClass`].
//!
//! Classes are an enum (never strings) so the hot path counts them in a fixed
//! array indexed by `class as usize`.
//!
//! Adding a class: add the variant at the end of [`OutcomeClass`] (before no
//! other), bump [`OutcomeClass::COUNT`], add it to [`OutcomeClass::ALL`], give it a
//! `label`, and teach `engine::client` (or the check code) when to produce it.
//! Snapshots index class arrays by this order, so never reorder.

use serde::{Deserialize, Serialize};

/// The result class of one request. `Ok` is a 2xx/3xx that passed its checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum OutcomeClass {
    Ok = 0,
    /// HTTP 429 Too Many Requests.
    S429,
    /// Any 4xx other than 429 (the code is kept beside the class).
    Other4xx,
    /// HTTP 500.
    S500,
    /// Any 5xx other than 500.
    Other5xx,
    /// The per-request timeout elapsed (connect + send + whole body).
    Timeout,
    /// Connection refused, reset or unreachable.
    Connect,
    /// TLS handshake or certificate failure.
    Tls,
    /// The host name did not resolve.
    Dns,
    /// The connection was open but the exchange failed: no response (closed or reset
    /// before the head), a malformed response, a status outside 2xx–5xx (`HTTP/1.1 999`,
    /// a final 1xx), or a body cut short.
    Protocol,
    /// The response arrived but one of the request's checks failed.
    Check,
    /// A VU's setup step failed (or a request needed a variable that was never set);
    /// the VU retries its setup with backoff.
    Setup,
    /// Following redirects failed: more hops than `follow_redirects` allows (a
    /// loop, usually), or a `Location` that is not a URL to follow.
    Redirect,
}

impl OutcomeClass {
    /// Number of classes, the length of every per-class counter array.
    pub const COUNT: usize = 13;

    /// Every class in index order.
    pub const ALL: [OutcomeClass; Self::COUNT] = [
        OutcomeClass::Ok,
        OutcomeClass::S429,
        OutcomeClass::Other4xx,
        OutcomeClass::S500,
        OutcomeClass::Other5xx,
        OutcomeClass::Timeout,
        OutcomeClass::Connect,
        OutcomeClass::Tls,
        OutcomeClass::Dns,
        OutcomeClass::Protocol,
        OutcomeClass::Check,
        OutcomeClass::Setup,
        OutcomeClass::Redirect,
    ];

    /// Every error class (all but `Ok`) in index order.
    pub fn errors() -> impl Iterator<Item = OutcomeClass> {
        Self::ALL.into_iter().skip(1)
    }

    /// Index into per-class arrays.
    pub const fn index(self) -> usize {
        self as usize
    }

    pub const fn is_error(self) -> bool {
        !matches!(self, OutcomeClass::Ok)
    }

    /// Short label used in tables, thresholds (`<label>_rate`) and the dashboard.
    pub const fn label(self) -> &'static str {
        match self {
            OutcomeClass::Ok => "ok",
            OutcomeClass::S429 => "429",
            OutcomeClass::Other4xx => "4xx",
            OutcomeClass::S500 => "500",
            OutcomeClass::Other5xx => "5xx",
            OutcomeClass::Timeout => "timeout",
            OutcomeClass::Connect => "connect",
            OutcomeClass::Tls => "tls",
            OutcomeClass::Dns => "dns",
            OutcomeClass::Protocol => "protocol",
            OutcomeClass::Check => "check",
            OutcomeClass::Setup => "setup",
            OutcomeClass::Redirect => "redirect",
        }
    }

    pub fn from_label(label: &str) -> Option<OutcomeClass> {
        Self::ALL.into_iter().find(|c| c.label() == label)
    }

    /// Class of a response that arrived with `status` (before checks run): only
    /// 2xx/3xx are `Ok`. Anything else that is not 4xx/5xx (a final 1xx, or a code
    /// above 599 that HTTP parsers accept, such as `HTTP/1.1 999`) is not a valid
    /// answer and counts as `Protocol`.
    pub const fn from_status(status: u16) -> OutcomeClass {
        match status {
            200..=399 => OutcomeClass::Ok,
            429 => OutcomeClass::S429,
            400..=499 => OutcomeClass::Other4xx,
            500 => OutcomeClass::S500,
            501..=599 => OutcomeClass::Other5xx,
            _ => OutcomeClass::Protocol,
        }
    }
}

/// One request's result as the VU records it. `Copy`, no heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Wall time from send to the last body byte (the loader only has a closed model:
    /// a VU sends when its previous request ended, so there is no intended send time).
    pub latency_us: u64,
    pub class: OutcomeClass,
    /// HTTP status, or 0 when no response arrived.
    pub status: u16,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classes() {
        assert_eq!(OutcomeClass::from_status(200), OutcomeClass::Ok);
        assert_eq!(OutcomeClass::from_status(304), OutcomeClass::Ok);
        assert_eq!(OutcomeClass::from_status(429), OutcomeClass::S429);
        assert_eq!(OutcomeClass::from_status(404), OutcomeClass::Other4xx);
        assert_eq!(OutcomeClass::from_status(500), OutcomeClass::S500);
        assert_eq!(OutcomeClass::from_status(503), OutcomeClass::Other5xx);
        assert_eq!(OutcomeClass::from_status(599), OutcomeClass::Other5xx);
    }

    #[test]
    fn statuses_outside_2xx_to_5xx_are_protocol_errors() {
        for status in [0, 99, 100, 101, 199, 600, 999] {
            assert_eq!(
                OutcomeClass::from_status(status),
                OutcomeClass::Protocol,
                "status {status}"
            );
        }
    }

    #[test]
    fn index_order_matches_all() {
        for (i, c) in OutcomeClass::ALL.iter().enumerate() {
            assert_eq!(c.index(), i);
            assert_eq!(OutcomeClass::from_label(c.label()), Some(*c));
        }
        assert_eq!(OutcomeClass::errors().count(), OutcomeClass::COUNT - 1);
    }
}
