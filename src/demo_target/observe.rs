//! `/health` and `/metrics`: they never wait for a worker, so they answer even when the target
//! is saturated (which is when you want to look at them).

use std::sync::Arc;

use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Response, StatusCode};
use serde_json::json;

use super::metrics::{Gauges, ProcessSample, render_prometheus};
use super::respond::{self, ResponseBody};
use super::state::AppState;

/// Reads process memory and CPU off the async threads (sysinfo reads `/proc`).
async fn process_sample(state: &Arc<AppState>) -> ProcessSample {
    let state = Arc::clone(state);
    tokio::task::spawn_blocking(move || state.probe.sample())
        .await
        .unwrap_or_default()
}

pub async fn health(state: &Arc<AppState>) -> Response<ResponseBody> {
    let process = process_sample(state).await;
    respond::json(
        StatusCode::OK,
        &json!({
            "status": "ok",
            "uptime_s": state.uptime().as_secs_f64(),
            "in_flight": state.pool.in_flight(),
            "queue_depth": state.pool.queue_depth(),
            "workers": state.pool.workers(),
            "memory": { "rss_bytes": process.rss_bytes },
            "cpu_seconds": process.cpu_seconds,
            "leaked_bytes": state.leak.leaked_bytes(),
        }),
    )
}

pub async fn metrics(state: &Arc<AppState>) -> Response<ResponseBody> {
    let gauges = Gauges {
        in_flight: state.pool.in_flight(),
        queue_depth: state.pool.queue_depth(),
        workers: state.pool.workers(),
        process: process_sample(state).await,
    };
    let mut response = respond::text(StatusCode::OK, render_prometheus(&state.counters, &gauges));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
