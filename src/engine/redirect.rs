//! Following redirects as browsers do: which statuses are followed, where the next
//! hop goes (a relative `Location` is resolved against the current URL), and what
//! it sends (301/302 turn a POST into a GET, 303 turns anything but HEAD into a
//! GET, both without the body; 307/308 keep method and body). A hop to another
//! origin drops `Authorization` and the profile's own `Cookie` header, as curl and
//! browsers do, so credentials meant for one server never reach another (the
//! cookie jar still sends what that origin set).
//!
//! Pure functions over a [`PreparedRequest`]; the client (`engine::client`) sends
//! the hops on the VU's connections and stops after `follow_redirects` of them.

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, HOST};
use http::{HeaderValue, Method, StatusCode, Uri};

use crate::engine::request::{Origin, PreparedRequest, origin_of};

/// Whether a response with `status` is a redirect to follow (300, 304 and 305 are
/// answers, not redirects).
pub fn is_followed(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Why a redirect could not be followed (the `redirect` error class).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectError {
    #[error("redirect loop: more than {max} redirects (last: {last})")]
    TooMany { max: u32, last: String },
    #[error("HTTP {status} redirect without a usable Location header")]
    NoLocation { status: u16 },
    #[error("cannot follow the redirect to \"{location}\": {why}")]
    BadLocation { location: String, why: String },
}

/// The next hop after a `status` redirect from `current` to `location`, and the
/// origin it goes to (the caller fills in `origin`'s index).
pub fn next_hop(
    current: &PreparedRequest,
    status: u16,
    location: Option<&HeaderValue>,
) -> Result<(PreparedRequest, Origin), RedirectError> {
    let location = location
        .and_then(|v| v.to_str().ok())
        .filter(|l| !l.trim().is_empty())
        .ok_or(RedirectError::NoLocation { status })?;
    let bad = |why: String| RedirectError::BadLocation {
        location: location.to_string(),
        why,
    };
    let absolute = resolve(&current.absolute_uri, location.trim()).map_err(bad)?;
    let origin = origin_of(&absolute).map_err(bad)?;
    let mut next = current.clone();
    next.path_uri = absolute
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .parse()
        .map_err(|e| bad(format!("bad path: {e}")))?;
    if absolute.authority() != current.absolute_uri.authority()
        || absolute.scheme() != current.absolute_uri.scheme()
    {
        next.headers.remove(AUTHORIZATION);
        next.headers.remove(COOKIE);
        let host = absolute.authority().map_or("", |a| a.as_str());
        let host = host.rsplit('@').next().unwrap_or(host);
        next.host = HeaderValue::from_str(host).map_err(|_| bad("bad host".into()))?;
        next.headers.insert(HOST, next.host.clone());
    }
    next.absolute_uri = absolute;
    if becomes_get(status, &current.method) {
        next.method = Method::GET;
        next.body = Bytes::new();
        next.headers.remove(CONTENT_LENGTH);
        next.headers.remove(CONTENT_TYPE);
    }
    Ok((next, origin))
}

/// 303 turns every method but HEAD into GET; 301 and 302 turn POST into GET (what
/// every browser does, and what RFC 9110 allows).
fn becomes_get(status: u16, method: &Method) -> bool {
    match StatusCode::from_u16(status) {
        Ok(StatusCode::SEE_OTHER) => method != Method::HEAD && method != Method::GET,
        Ok(StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND) => method == Method::POST,
        _ => false,
    }
}

/// `location` (absolute, scheme-relative, absolute-path or relative) resolved
/// against `base`, as an absolute `http(s)://` URI without a fragment.
fn resolve(base: &Uri, location: &str) -> Result<Uri, String> {
    let base = url::Url::parse(&base.to_string()).map_err(|e| e.to_string())?;
    let mut next = base.join(location).map_err(|e| e.to_string())?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err(format!(
            "only http:// and https:// are followed, not {}:",
            next.scheme()
        ));
    }
    next.set_fragment(None);
    next.as_str().parse().map_err(|e| format!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;

    fn request(url: &str, method: &str, body: &str) -> PreparedRequest {
        let mut p = Profile::for_url(url, Vec::new()).unwrap();
        p.requests[0].method = method.into();
        p.requests[0].headers = vec![
            ("Authorization".into(), "Bearer t".into()),
            ("Cookie".into(), "mine=1".into()),
        ];
        if !body.is_empty() {
            p.requests[0].body = Some(crate::profile::Body {
                bytes: Bytes::from(body.to_string()),
                content_type: Some("text/plain".into()),
                source: "inline".into(),
            });
        }
        let prepared = crate::engine::request::Prepared::new(&p).unwrap();
        prepared.requests[0].clone()
    }

    fn loc(s: &str) -> HeaderValue {
        HeaderValue::from_str(s).unwrap()
    }

    #[test]
    fn only_real_redirects_are_followed() {
        for s in [301, 302, 303, 307, 308] {
            assert!(is_followed(s), "{s}");
        }
        for s in [200, 300, 304, 305, 306, 404] {
            assert!(!is_followed(s), "{s}");
        }
    }

    #[test]
    fn relative_locations_resolve_against_the_current_url() {
        let req = request("http://127.0.0.1:8080/redirect/3?x=1", "GET", "");
        let (next, origin) = next_hop(&req, 302, Some(&loc("/redirect/2"))).unwrap();
        assert_eq!(next.absolute_uri, "http://127.0.0.1:8080/redirect/2");
        assert_eq!(next.path_uri, "/redirect/2");
        assert_eq!(origin.host_port(), "127.0.0.1:8080");
        let (next, _) = next_hop(&req, 302, Some(&loc("1#frag"))).unwrap();
        assert_eq!(next.path_uri, "/redirect/1");
        let (next, _) = next_hop(&req, 302, Some(&loc("?page=2"))).unwrap();
        assert_eq!(next.path_uri, "/redirect/3?page=2");
        // Same origin: credentials stay.
        assert_eq!(next.headers[AUTHORIZATION], "Bearer t");
    }

    #[test]
    fn another_origin_gets_its_host_and_no_credentials() {
        let req = request("http://127.0.0.1:8080/a", "GET", "");
        let (next, origin) = next_hop(&req, 301, Some(&loc("https://localhost:9443/b"))).unwrap();
        assert!(origin.https);
        assert_eq!(origin.host_port(), "localhost:9443");
        assert_eq!(next.headers[HOST], "localhost:9443");
        assert!(next.headers.get(AUTHORIZATION).is_none());
        assert!(next.headers.get(COOKIE).is_none());
    }

    #[test]
    fn post_becomes_get_on_301_302_303_and_stays_on_307_308() {
        let post = request("http://127.0.0.1:8080/form", "POST", "a=1");
        for status in [301, 302, 303] {
            let (next, _) = next_hop(&post, status, Some(&loc("/done"))).unwrap();
            assert_eq!(next.method, Method::GET, "{status}");
            assert!(next.body.is_empty());
            assert!(next.headers.get(CONTENT_LENGTH).is_none());
            assert!(next.headers.get(CONTENT_TYPE).is_none());
        }
        for status in [307, 308] {
            let (next, _) = next_hop(&post, status, Some(&loc("/done"))).unwrap();
            assert_eq!(next.method, Method::POST, "{status}");
            assert_eq!(next.body, "a=1");
        }
        let put = request("http://127.0.0.1:8080/form", "PUT", "x");
        assert_eq!(
            next_hop(&put, 302, Some(&loc("/d"))).unwrap().0.method,
            Method::PUT
        );
        assert_eq!(
            next_hop(&put, 303, Some(&loc("/d"))).unwrap().0.method,
            Method::GET
        );
    }

    #[test]
    fn unusable_locations_are_named() {
        let req = request("http://127.0.0.1:8080/a", "GET", "");
        assert_eq!(
            next_hop(&req, 302, None).unwrap_err().to_string(),
            "HTTP 302 redirect without a usable Location header"
        );
        let err = next_hop(&req, 302, Some(&loc("ftp://x/y"))).unwrap_err();
        assert!(
            err.to_string().contains("only http:// and https://"),
            "{err}"
        );
        let loop_err = RedirectError::TooMany {
            max: 10,
            last: "/redirect-loop".into(),
        };
        assert_eq!(
            loop_err.to_string(),
            "redirect loop: more than 10 redirects (last: /redirect-loop)"
        );
    }
}
