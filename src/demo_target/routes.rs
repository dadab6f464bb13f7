//! The URL table: `(method, path)` → [`Route`], a pure function so the table is unit-tested.
//!
//! Adding an endpoint: add a variant, a line in [`Route::parse`], an arm in
//! `handlers::dispatch`, a line in the endpoint list of `mod.rs`, and a test in
//! `tests/target_server.rs`.

use http::Method;

/// One endpoint of the target, with the path parameter it carries (unparsed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    /// `GET /health`: liveness and gauges; never waits for a worker.
    Health,
    /// `GET /metrics`: Prometheus text; never waits for a worker.
    Metrics,
    Ping,
    Items,
    Slow,
    Flaky,
    Limited,
    Login,
    /// `GET /logins`: logins per user name so far.
    Logins,
    Me,
    /// `GET|HEAD /stream/{name}`.
    Stream(&'a str),
    Upload,
    SubmitJob,
    /// `GET /jobs/{id}`.
    Job(&'a str),
    /// `GET /status/{code}`.
    Status(&'a str),
    /// `GET /delay/{ms}`.
    Delay(&'a str),
    /// `* /echo`: any method.
    Echo,
    Close,
    /// `GET /bytes/{n}`.
    Bytes(&'a str),
    /// `GET /cookies`: echoes the cookies received.
    Cookies,
    /// `GET /cookies/set?NAME=VALUE`: sets cookies.
    SetCookies,
    /// `GET /redirect/{n}`: 302 to `/redirect/{n-1}`.
    Redirect(&'a str),
    /// `GET /redirect-loop`: 302 to itself.
    RedirectLoop,
    /// A known path with the wrong method; carries the `Allow` header value.
    MethodNotAllowed(&'static str),
    NotFound,
}

impl<'a> Route<'a> {
    pub fn parse(method: &Method, path: &'a str) -> Self {
        let get = method == Method::GET || method == Method::HEAD;
        let post = method == Method::POST;
        let only = |ok: bool, route: Route<'a>, allow: &'static str| {
            if ok {
                route
            } else {
                Route::MethodNotAllowed(allow)
            }
        };
        // Exact paths first, then `/prefix/{param}` paths with a non-empty, slash-free param.
        let route = match path {
            "/health" => only(get, Route::Health, "GET"),
            "/metrics" => only(get, Route::Metrics, "GET"),
            "/ping" => only(get, Route::Ping, "GET"),
            "/api/items" => only(get, Route::Items, "GET"),
            "/slow" => only(get, Route::Slow, "GET"),
            "/flaky" => only(get, Route::Flaky, "GET"),
            "/limited" => only(get, Route::Limited, "GET"),
            "/login" => only(post, Route::Login, "POST"),
            "/logins" => only(get, Route::Logins, "GET"),
            "/api/me" => only(get, Route::Me, "GET"),
            "/upload" => only(post, Route::Upload, "POST"),
            "/jobs" => only(post, Route::SubmitJob, "POST"),
            "/echo" => Route::Echo,
            "/close" => Route::Close,
            "/cookies" => only(get, Route::Cookies, "GET"),
            "/cookies/set" => only(get, Route::SetCookies, "GET"),
            "/redirect-loop" => only(get, Route::RedirectLoop, "GET"),
            _ => Route::NotFound,
        };
        if route != Route::NotFound {
            return route;
        }
        let Some((prefix, param)) = split_param(path) else {
            return Route::NotFound;
        };
        match prefix {
            "/stream" => only(get, Route::Stream(param), "GET, HEAD"),
            "/jobs" => only(get, Route::Job(param), "GET"),
            "/status" => only(get, Route::Status(param), "GET"),
            "/delay" => only(get, Route::Delay(param), "GET"),
            "/bytes" => only(get, Route::Bytes(param), "GET"),
            "/redirect" => only(get, Route::Redirect(param), "GET"),
            _ => Route::NotFound,
        }
    }

    /// Whether the request does simulated work and so needs a worker from the pool.
    pub fn needs_worker(self) -> bool {
        !matches!(self, Route::Health | Route::Metrics)
    }
}

/// `/prefix/param` → `("/prefix", "param")` when `param` is one non-empty segment.
fn split_param(path: &str) -> Option<(&str, &str)> {
    let (prefix, param) = path.rsplit_once('/')?;
    (!prefix.is_empty() && !param.is_empty() && !prefix[1..].contains('/'))
        .then_some((prefix, param))
}

/// The value of `key` in a query string (`a=1&size=10`); no percent-decoding (numbers only).
pub fn query_param<'q>(query: Option<&'q str>, key: &str) -> Option<&'q str> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find_map(|(k, v)| (k == key).then_some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(Route::parse(&get, "/ping"), Route::Ping);
        assert_eq!(Route::parse(&post, "/ping"), Route::MethodNotAllowed("GET"));
        assert_eq!(Route::parse(&get, "/stream/movie"), Route::Stream("movie"));
        assert_eq!(
            Route::parse(&Method::HEAD, "/stream/movie"),
            Route::Stream("movie")
        );
        assert_eq!(Route::parse(&post, "/jobs"), Route::SubmitJob);
        assert_eq!(Route::parse(&get, "/logins"), Route::Logins);
        assert_eq!(Route::parse(&get, "/jobs/abc"), Route::Job("abc"));
        assert_eq!(Route::parse(&get, "/jobs"), Route::MethodNotAllowed("POST"));
        assert_eq!(Route::parse(&get, "/status/418"), Route::Status("418"));
        assert_eq!(Route::parse(&Method::PUT, "/echo"), Route::Echo);
        assert_eq!(Route::parse(&get, "/stream/"), Route::NotFound);
        assert_eq!(Route::parse(&get, "/stream/a/b"), Route::NotFound);
        assert_eq!(Route::parse(&get, "/nope"), Route::NotFound);
        assert_eq!(Route::parse(&get, "/cookies"), Route::Cookies);
        assert_eq!(Route::parse(&get, "/cookies/set"), Route::SetCookies);
        assert_eq!(Route::parse(&get, "/redirect/3"), Route::Redirect("3"));
        assert_eq!(Route::parse(&get, "/redirect-loop"), Route::RedirectLoop);
        assert_eq!(
            Route::parse(&post, "/redirect/3"),
            Route::MethodNotAllowed("GET")
        );
        assert_eq!(Route::parse(&get, "/"), Route::NotFound);
        assert!(!Route::Health.needs_worker());
        assert!(Route::NotFound.needs_worker());
    }

    #[test]
    fn query() {
        assert_eq!(query_param(Some("a=1&size=10"), "size"), Some("10"));
        assert_eq!(query_param(Some("sizes=1"), "size"), None);
        assert_eq!(query_param(None, "size"), None);
    }
}
