//! `loadpilot import`: a browser recording (HAR 1.2/1.3) or a curl command line
//! becomes a profile to edit and run.
//!
//! Both sources turn into [`Call`]s; [`profile::render`] groups identical calls
//! into weighted requests and writes TOML that `validate` accepts. Secrets never
//! reach the profile: sensitive headers and query parameters become `${VARS}` the
//! user passes with `-e`, and cookies are dropped.

pub mod curl;
pub mod har;
pub mod profile;

use std::time::Duration;

/// One recorded HTTP call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub method: String,
    /// Absolute URL.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// When the call started, relative to the recording's first call.
    pub at: Option<Duration>,
    /// The response's content type, when recorded (tells assets from API calls).
    pub response_type: Option<String>,
}

/// What to keep from a recording.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Keep images, scripts, stylesheets and fonts (dropped by default: a load test
    /// of an API rarely wants the CDN's share).
    pub include_static: bool,
    /// Keep calls to hosts other than the main one (the host with the most calls).
    pub all_hosts: bool,
    /// The profile's name.
    pub name: String,
}

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: not a HAR file: {reason}")]
    Har { path: String, reason: String },
    #[error("not a curl command: {0}")]
    Curl(String),
    #[error(
        "nothing to import: {0} (--include-static keeps assets, --all-hosts keeps other hosts)"
    )]
    Empty(String),
}
