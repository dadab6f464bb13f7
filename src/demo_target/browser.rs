//! Endpoints for what a browser-like client does on its own: keep cookies and follow
//! redirects.
//!
//! - `GET /cookies/set?NAME=VALUE&…` sets each pair as a cookie (`Path=/`) and
//!   answers `{"cookies": {…}, "set": {…}}`: what the request carried, and what it set.
//! - `GET /cookies` answers `{"cookies": {…}}`: the cookies the request carried.
//! - `GET /redirect/N` answers 302 to `/redirect/N-1`; `/redirect/0` answers 200
//!   `{"redirected": true}`. `?delay_ms=D` makes every hop wait D ms (carried along).
//! - `GET /redirect-loop` answers 302 to itself, for ever.

use std::time::Duration;

use http::header::{COOKIE, LOCATION, SET_COOKIE};
use http::request::Parts;
use http::{HeaderValue, Response, StatusCode};
use serde_json::{Map, Value, json};

use super::respond::{self, ResponseBody};
use super::routes::query_param;

/// Longest `/redirect/N` chain (a typo must not redirect for ever).
const MAX_REDIRECT_HOPS: u32 = 1000;
/// Longest `delay_ms` per hop.
const MAX_HOP_DELAY_MS: u64 = 10_000;

/// The `Cookie` header's pairs as a JSON object.
fn received(parts: &Parts) -> Map<String, Value> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.split_once('='))
        .map(|(n, v)| (n.trim().to_string(), Value::String(v.trim().to_string())))
        .collect()
}

pub fn cookies(parts: &Parts) -> Response<ResponseBody> {
    respond::json(StatusCode::OK, &json!({ "cookies": received(parts) }))
}

pub fn set_cookies(parts: &Parts) -> Response<ResponseBody> {
    let mut set = Map::new();
    let mut response_cookies = Vec::new();
    for (name, value) in parts
        .uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(name, _)| !name.is_empty())
    {
        let Ok(header) = HeaderValue::from_str(&format!("{name}={value}; Path=/")) else {
            return respond::error(
                StatusCode::BAD_REQUEST,
                format!("{name:?} is not a valid cookie"),
            );
        };
        response_cookies.push(header);
        set.insert(name.to_string(), Value::String(value.to_string()));
    }
    let mut response = respond::json(
        StatusCode::OK,
        &json!({ "cookies": received(parts), "set": set }),
    );
    for header in response_cookies {
        response.headers_mut().append(SET_COOKIE, header);
    }
    response
}

/// `/redirect/{hops}`: one hop nearer to `/redirect/0`.
pub async fn redirect(hops: &str, parts: &Parts) -> Response<ResponseBody> {
    let Some(hops) = hops.parse::<u32>().ok().filter(|n| *n <= MAX_REDIRECT_HOPS) else {
        return respond::error(
            StatusCode::BAD_REQUEST,
            format!("redirect hops must be 0..={MAX_REDIRECT_HOPS}, got {hops:?}"),
        );
    };
    let delay_ms = query_param(parts.uri.query(), "delay_ms")
        .and_then(|d| d.parse::<u64>().ok())
        .unwrap_or(0)
        .min(MAX_HOP_DELAY_MS);
    tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    if hops == 0 {
        return respond::json(StatusCode::OK, &json!({ "redirected": true }));
    }
    let next = match parts.uri.query() {
        Some(query) => format!("/redirect/{}?{query}", hops - 1),
        None => format!("/redirect/{}", hops - 1),
    };
    respond::header(respond::empty(StatusCode::FOUND), LOCATION, &next)
}

/// `/redirect-loop`: a redirect to itself.
pub fn redirect_loop() -> Response<ResponseBody> {
    respond::header(
        respond::empty(StatusCode::FOUND),
        LOCATION,
        "/redirect-loop",
    )
}
