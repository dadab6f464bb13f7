//! Endpoints for testing clients rather than imitating a backend: fixed statuses, fixed delays,
//! echo, sized bodies and a connection that dies without answering.

use std::time::Duration;

use http::request::Parts;
use http::{Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde_json::json;

use super::respond::{self, ResponseBody};
use super::stream::PatternBody;

/// Longest `/delay/{ms}`.
const MAX_DELAY_MS: u64 = 60_000;
/// Largest `/bytes/{n}` body: 1 GiB (it is generated, but a typo should not stream for hours).
const MAX_BYTES: u64 = 1 << 30;

pub fn status(code: &str) -> Response<ResponseBody> {
    let Some(status) = code
        .parse::<u16>()
        .ok()
        .filter(|c| (200..=599).contains(c))
        .and_then(|c| StatusCode::from_u16(c).ok())
    else {
        return respond::error(
            StatusCode::BAD_REQUEST,
            format!("status must be 200..=599, got {code:?}"),
        );
    };
    // These statuses must not carry a body.
    if matches!(status.as_u16(), 204 | 205 | 304) {
        return respond::empty(status);
    }
    respond::text(status, format!("status {}\n", status.as_u16()))
}

pub async fn delay(ms: &str) -> Response<ResponseBody> {
    let Some(ms) = ms.parse::<u64>().ok().filter(|ms| *ms <= MAX_DELAY_MS) else {
        return respond::error(
            StatusCode::BAD_REQUEST,
            format!("delay must be 0..={MAX_DELAY_MS} ms, got {ms:?}"),
        );
    };
    tokio::time::sleep(Duration::from_millis(ms)).await;
    respond::json(StatusCode::OK, &json!({ "delayed_ms": ms }))
}

/// The request as the target saw it; the body is counted, not kept.
pub async fn echo(parts: &Parts, mut body: Incoming) -> Response<ResponseBody> {
    let mut body_bytes: u64 = 0;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => body_bytes += frame.data_ref().map_or(0, |d| d.len() as u64),
            Err(e) => {
                return respond::error(StatusCode::BAD_REQUEST, format!("unreadable body: {e}"));
            }
        }
    }
    let mut headers = serde_json::Map::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str())
            .and_modify(|v| {
                if let serde_json::Value::String(s) = v {
                    s.push_str(", ");
                    s.push_str(&value);
                }
            })
            .or_insert_with(|| value.into());
    }
    respond::json(
        StatusCode::OK,
        &json!({
            "method": parts.method.as_str(),
            "path": parts.uri.path(),
            "query": parts.uri.query(),
            "version": format!("{:?}", parts.version),
            "headers": headers,
            "body_bytes": body_bytes,
        }),
    )
}

pub fn bytes(n: &str) -> Response<ResponseBody> {
    let Some(n) = n.parse::<u64>().ok().filter(|n| *n <= MAX_BYTES) else {
        return respond::error(
            StatusCode::BAD_REQUEST,
            format!("n must be 0..={MAX_BYTES}, got {n:?}"),
        );
    };
    let mut response = respond::with_body(
        StatusCode::OK,
        PatternBody::new("bytes", 0, n, None).boxed(),
    );
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/octet-stream"),
    );
    response
}
