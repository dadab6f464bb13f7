//! HAR (HTTP Archive 1.2 and 1.3, as browsers' devtools export it) → [`Call`]s.

use std::path::Path;

use chrono::{DateTime, FixedOffset};

use super::{Call, ImportError};

/// The calls of a HAR file, in the recorded order.
pub fn read(path: &Path) -> Result<Vec<Call>, ImportError> {
    let bad = |reason: String| ImportError::Har {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let archive = ::har::from_slice(&text).map_err(|e| bad(e.to_string()))?;
    let mut calls: Vec<(Option<DateTime<FixedOffset>>, Call)> = match archive.log {
        ::har::Spec::V1_2(log) => log.entries.into_iter().map(from_v1_2).collect(),
        ::har::Spec::V1_3(log) => log.entries.into_iter().map(from_v1_3).collect(),
    };
    // Browsers write entries by start time, but not every tool does.
    calls.sort_by_key(|(started, _)| *started);
    let first = calls.iter().find_map(|(started, _)| *started);
    Ok(calls
        .into_iter()
        .map(|(started, mut call)| {
            call.at = started.zip(first).and_then(|(s, f)| (s - f).to_std().ok());
            call
        })
        .collect())
}

// The two versions' types are distinct but shaped alike; one macro reads both.
macro_rules! entry_to_call {
    ($name:ident, $version:ident) => {
        fn $name(e: ::har::$version::Entries) -> (Option<DateTime<FixedOffset>>, Call) {
            let started = DateTime::parse_from_rfc3339(&e.started_date_time).ok();
            let call = Call {
                method: e.request.method,
                url: e.request.url,
                headers: e
                    .request
                    .headers
                    .into_iter()
                    .map(|h| (h.name, h.value))
                    .collect(),
                body: e.request.post_data.and_then(|p| p.text),
                at: None,
                response_type: e.response.content.mime_type,
            };
            (started, call)
        }
    };
}

entry_to_call!(from_v1_2, v1_2);
entry_to_call!(from_v1_3, v1_3);
