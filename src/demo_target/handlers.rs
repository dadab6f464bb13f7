//! The endpoints that imitate a backend: latency, errors, rate limits, sessions, jobs, files.
//!
//! Every handler here runs while holding a worker ([`WorkPermit`]); sleeping while holding it
//! is the point: it is what makes the target slow down under load like a thread-per-request
//! service.

use std::time::Duration;

use http::header::{
    ACCEPT_RANGES, AUTHORIZATION, CONTENT_RANGE, CONTENT_TYPE, LOCATION, RETRY_AFTER,
};
use http::request::Parts;
use http::{Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use rand::RngExt;
use rand_distr::Distribution;
use serde::Deserialize;
use serde_json::json;

use super::pool::WorkPermit;
use super::ratelimit::retry_after_secs;
use super::respond::{self, ResponseBody};
use super::routes::query_param;
use super::sessions::bearer_token;
use super::state::AppState;
use super::stream::{PatternBody, RangeRequest, parse_range};
use super::upload;

/// Longest `/api/items` delay: the lognormal tail is cut here.
const ITEMS_MAX_DELAY: Duration = Duration::from_secs(2);
/// `/slow` answers after a uniform delay in this range (ms)...
const SLOW_RANGE_MS: std::ops::RangeInclusive<u64> = 200..=3_000;
/// ...except a share of requests that take longer than the default 10 s client timeout.
const SLOW_TIMEOUT_DELAY: Duration = Duration::from_secs(12);
/// `/stream/{name}` size without `?size=`: 50 MiB.
pub const DEFAULT_STREAM_BYTES: u64 = 50 * 1024 * 1024;
/// Share of `/api/items` answers marked `X-Cache: HIT` (the rest `MISS`).
const ITEMS_CACHE_HIT_SHARE: f64 = 0.85;
/// Largest accepted `/login` body.
const LOGIN_BODY_LIMIT_BYTES: usize = 64 * 1024;

fn uniform_ms(range: std::ops::RangeInclusive<u64>) -> Duration {
    Duration::from_millis(rand::rng().random_range(range))
}

pub fn ping() -> Response<ResponseBody> {
    respond::text(StatusCode::OK, "pong")
}

pub async fn items(state: &AppState) -> Response<ResponseBody> {
    let delay_ms = state.items_delay_ms.sample(&mut rand::rng());
    tokio::time::sleep(Duration::from_secs_f64(delay_ms / 1000.0).min(ITEMS_MAX_DELAY)).await;
    let items: Vec<_> = (1..=5)
        .map(|id| json!({ "id": id, "name": format!("item-{id}"), "price_cents": 199 * id }))
        .collect();
    // A cache in front of the catalogue: most reads hit it.
    let cache = if rand::rng().random_bool(ITEMS_CACHE_HIT_SHARE) {
        "HIT"
    } else {
        "MISS"
    };
    respond::header(
        respond::json(StatusCode::OK, &json!({ "items": items })),
        http::header::HeaderName::from_static("x-cache"),
        cache,
    )
}

pub async fn slow(state: &AppState) -> Response<ResponseBody> {
    let delay = if rand::rng().random_bool(state.slow_timeout_share) {
        SLOW_TIMEOUT_DELAY
    } else {
        uniform_ms(SLOW_RANGE_MS)
    };
    tokio::time::sleep(delay).await;
    respond::json(
        StatusCode::OK,
        &json!({ "slept_ms": delay.as_millis() as u64 }),
    )
}

pub async fn flaky(state: &AppState) -> Response<ResponseBody> {
    tokio::time::sleep(uniform_ms(2..=30)).await;
    // 500 with p = error_rate, 503 with p = error_rate / 4 (capped so the total stays ≤ 1).
    let roll: f64 = rand::rng().random();
    let p500 = state.error_rate;
    let p503 = (state.error_rate / 4.0).min(1.0 - p500);
    if roll < p500 {
        respond::error(StatusCode::INTERNAL_SERVER_ERROR, "simulated failure")
    } else if roll < p500 + p503 {
        respond::error(StatusCode::SERVICE_UNAVAILABLE, "simulated overload")
    } else {
        respond::json(StatusCode::OK, &json!({ "ok": true }))
    }
}

pub async fn limited(state: &AppState) -> Response<ResponseBody> {
    match state.limiter.check() {
        Ok(()) => {
            tokio::time::sleep(uniform_ms(1..=10)).await;
            respond::json(StatusCode::OK, &json!({ "ok": true }))
        }
        Err(wait) => {
            let secs = retry_after_secs(wait);
            respond::header(
                respond::error(StatusCode::TOO_MANY_REQUESTS, "rate limit exceeded"),
                RETRY_AFTER,
                &secs.to_string(),
            )
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct Credentials {
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    #[allow(dead_code)] // accepted and ignored: any password works on the demo target
    password: Option<String>,
}

pub async fn login(state: &AppState, body: Incoming) -> Response<ResponseBody> {
    let bytes = match Limited::new(body, LOGIN_BODY_LIMIT_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => return respond::error(StatusCode::BAD_REQUEST, format!("unreadable body: {e}")),
    };
    let credentials = if bytes.iter().all(u8::is_ascii_whitespace) {
        Credentials::default()
    } else {
        match serde_json::from_slice::<Credentials>(&bytes) {
            Ok(c) => c,
            Err(e) => {
                return respond::error(
                    StatusCode::BAD_REQUEST,
                    format!("expected JSON {{\"username\": \"...\", \"password\": \"...\"}}: {e}"),
                );
            }
        }
    };
    // Password hashing is what makes real logins slow.
    tokio::time::sleep(uniform_ms(20..=60)).await;
    let user = credentials.username.unwrap_or_else(|| "guest".to_owned());
    let token = state.sessions.login(&user);
    respond::json(StatusCode::OK, &json!({ "token": token, "user": user }))
}

pub fn logins(state: &AppState) -> Response<ResponseBody> {
    respond::json(StatusCode::OK, &json!({ "users": state.sessions.logins() }))
}

pub async fn me(state: &AppState, parts: &Parts) -> Response<ResponseBody> {
    tokio::time::sleep(uniform_ms(2..=10)).await;
    let user = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
        .and_then(|token| state.sessions.user(token));
    match user {
        Some(user) => respond::json(
            StatusCode::OK,
            &json!({ "user": user, "roles": ["tester"] }),
        ),
        None => respond::header(
            respond::error(StatusCode::UNAUTHORIZED, "missing or unknown bearer token"),
            http::header::WWW_AUTHENTICATE,
            "Bearer",
        ),
    }
}

pub fn stream(name: &str, parts: &Parts, permit: Option<WorkPermit>) -> Response<ResponseBody> {
    let size = match query_param(parts.uri.query(), "size").map(str::parse::<u64>) {
        None => DEFAULT_STREAM_BYTES,
        Some(Ok(size)) => size,
        Some(Err(_)) => {
            return respond::error(StatusCode::BAD_REQUEST, "size must be a number of bytes");
        }
    };
    let range = parts
        .headers
        .get(http::header::RANGE)
        .and_then(|v| v.to_str().ok());
    let (status, start, end) = match parse_range(range, size) {
        RangeRequest::Full => (StatusCode::OK, 0, size),
        RangeRequest::Partial { start, end } => (StatusCode::PARTIAL_CONTENT, start, end + 1),
        RangeRequest::Unsatisfiable => {
            let response = respond::header(
                respond::empty(StatusCode::RANGE_NOT_SATISFIABLE),
                CONTENT_RANGE,
                &format!("bytes */{size}"),
            );
            return respond::header(response, ACCEPT_RANGES, "bytes");
        }
    };
    let body = PatternBody::new(name, start, end, permit);
    let mut response = respond::with_body(status, BodyExt::boxed(body));
    if status == StatusCode::PARTIAL_CONTENT {
        response = respond::header(
            response,
            CONTENT_RANGE,
            &format!("bytes {start}-{}/{size}", end - 1),
        );
    }
    response = respond::header(response, ACCEPT_RANGES, "bytes");
    respond::header(response, CONTENT_TYPE, "application/octet-stream")
}

pub async fn upload(parts: &Parts, body: Incoming) -> Response<ResponseBody> {
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match upload::summarize(content_type, body).await {
        Ok(summary) => respond::json(StatusCode::OK, &summary),
        Err(e) => respond::error(StatusCode::BAD_REQUEST, e),
    }
}

pub async fn submit_job(state: &AppState) -> Response<ResponseBody> {
    tokio::time::sleep(uniform_ms(2..=10)).await;
    let id = state.jobs.submit();
    let response = respond::json(
        StatusCode::ACCEPTED,
        &json!({ "id": id, "status": "queued" }),
    );
    respond::header(response, LOCATION, &format!("/jobs/{id}"))
}

pub async fn job(state: &AppState, id: &str) -> Response<ResponseBody> {
    match state.jobs.status(id) {
        Some(status) => respond::json(
            StatusCode::OK,
            &json!({ "id": id, "status": status.as_str() }),
        ),
        None => respond::error(StatusCode::NOT_FOUND, format!("no job {id:?}")),
    }
}
