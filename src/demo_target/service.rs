//! One request: route it, take a worker if the route needs one, run the handler, count the
//! status.

use std::sync::Arc;

use http::header::{ALLOW, RETRY_AFTER};
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;

use super::respond::{self, ResponseBody};
use super::routes::Route;
use super::state::AppState;
use super::{browser, handlers, helpers, observe};

/// Returned for `/close`: hyper drops the connection without writing a response (HTTP/1), or
/// resets the stream (HTTP/2). Clients see a protocol error, which is what the endpoint is for.
#[derive(Debug, thiserror::Error)]
#[error("connection closed on purpose by /close")]
pub struct CloseConnection;

/// The hyper service function.
pub async fn handle(
    request: Request<Incoming>,
    state: Arc<AppState>,
) -> Result<Response<ResponseBody>, CloseConnection> {
    let (parts, body) = request.into_parts();
    let route = Route::parse(&parts.method, parts.uri.path());
    if !matches!(route, Route::Health | Route::Metrics) {
        state.leak.leak_one();
    }

    if let Some(stall) = state.stall.filter(|_| route.needs_worker()) {
        stall.wait(state.started).await;
    }
    let permit = if route.needs_worker() {
        match state.pool.acquire().await {
            Ok(permit) => Some(permit),
            Err(overloaded) => {
                let response = respond::error(StatusCode::SERVICE_UNAVAILABLE, overloaded);
                state.counters.record(response.status().as_u16());
                return Ok(respond::header(response, RETRY_AFTER, "1"));
            }
        }
    } else {
        None
    };

    let response = match route {
        Route::Health => observe::health(&state).await,
        Route::Metrics => observe::metrics(&state).await,
        Route::Ping => handlers::ping(),
        Route::Items => handlers::items(&state).await,
        Route::Slow => handlers::slow(&state).await,
        Route::Flaky => handlers::flaky(&state).await,
        Route::Limited => handlers::limited(&state).await,
        Route::Login => handlers::login(&state, body).await,
        Route::Me => handlers::me(&state, &parts).await,
        Route::Logins => handlers::logins(&state),
        // The body owns the worker until the last byte is sent.
        Route::Stream(name) => handlers::stream(name, &parts, permit),
        Route::Upload => handlers::upload(&parts, body).await,
        Route::SubmitJob => handlers::submit_job(&state).await,
        Route::Job(id) => handlers::job(&state, id).await,
        Route::Status(code) => helpers::status(code),
        Route::Delay(ms) => helpers::delay(ms).await,
        Route::Echo => helpers::echo(&parts, body).await,
        Route::Close => return Err(CloseConnection),
        Route::Bytes(n) => helpers::bytes(n),
        Route::Cookies => browser::cookies(&parts),
        Route::SetCookies => browser::set_cookies(&parts),
        Route::Redirect(hops) => browser::redirect(hops, &parts).await,
        Route::RedirectLoop => browser::redirect_loop(),
        Route::MethodNotAllowed(allow) => respond::header(
            respond::error(StatusCode::METHOD_NOT_ALLOWED, format!("use {allow}")),
            ALLOW,
            allow,
        ),
        Route::NotFound => respond::error(
            StatusCode::NOT_FOUND,
            format!("no route for {}", parts.uri.path()),
        ),
    };
    state.counters.record(response.status().as_u16());
    Ok(response)
}
