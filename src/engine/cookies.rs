//! One VU's cookie jar, as a browser or a Locust user keeps one: `Set-Cookie` from
//! responses is stored with the domain, path and expiry rules of RFC 6265
//! (`cookie_store`), and the matching `Cookie` header goes out on the VU's later
//! requests.
//!
//! The jar costs nothing until a server sets a cookie: it holds no store until the
//! first `Set-Cookie`, and the client only asks it for a header when it is not
//! empty, so a run against a cookie-free API keeps its allocation-free hot path.
//!
//! Cookie values are secrets (session ids): [`Jar`]'s `Debug` shows only a count,
//! and nothing here logs them.

use std::fmt;

use cookie_store::CookieStore;
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Uri};
use url::Url;

/// One VU's cookies.
#[derive(Default)]
pub struct Jar {
    /// `None` until the first cookie is stored (boxed: most VUs never need one,
    /// and each VU's state must stay small).
    store: Option<Box<CookieStore>>,
}

impl fmt::Debug for Jar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let held = self.store.as_ref().map_or(0, |s| s.iter_any().count());
        write!(f, "Jar({held} cookies)")
    }
}

impl Jar {
    /// Whether no cookie was ever stored (then there is nothing to send).
    pub fn is_empty(&self) -> bool {
        self.store.is_none()
    }

    /// Stores every `Set-Cookie` of a response to `uri`. Cheap when there is none.
    pub fn store_from(&mut self, uri: &Uri, headers: &HeaderMap) {
        if !headers.contains_key(SET_COOKIE) {
            return;
        }
        let Some(url) = to_url(uri) else { return };
        let store = self.store.get_or_insert_default();
        for value in headers.get_all(SET_COOKIE) {
            // A malformed or refused cookie (wrong domain, expired) is skipped, as
            // browsers do; `parse` applies the storage model.
            if let Ok(text) = value.to_str() {
                let _ = store.parse(text, &url);
            }
        }
    }

    /// The `(name, value)` pairs the jar would send to `uri`, in its order.
    pub fn pairs_for(&self, uri: &Uri) -> Vec<(String, String)> {
        let (Some(store), Some(url)) = (&self.store, to_url(uri)) else {
            return Vec::new();
        };
        store
            .get_request_values(&url)
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    /// Adds the jar's cookies for `uri` to `headers`. A `Cookie` header the profile
    /// set is kept: the jar's cookies are appended after it, except those whose
    /// names it already sets (the profile wins).
    pub fn add_to(&self, uri: &Uri, headers: &mut HeaderMap) {
        let (Some(store), Some(url)) = (&self.store, to_url(uri)) else {
            return;
        };
        let own = headers
            .get(COOKIE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let own_names: Vec<&str> = own
            .split(';')
            .filter_map(|pair| pair.split_once('=').map(|(n, _)| n.trim()))
            .collect();
        let mut line = own.trim().trim_end_matches(';').to_string();
        for (name, value) in store.get_request_values(&url) {
            if own_names.contains(&name) {
                continue;
            }
            if !line.is_empty() {
                line.push_str("; ");
            }
            line.push_str(name);
            line.push('=');
            line.push_str(value);
        }
        if let Ok(value) = HeaderValue::from_str(&line)
            && !line.is_empty()
        {
            headers.insert(COOKIE, value);
        }
    }
}

/// `uri` as the `Url` the store matches against (absolute `http(s)://` URIs only).
fn to_url(uri: &Uri) -> Option<Url> {
    Url::parse(&uri.to_string()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(headers: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for h in headers {
            map.append(SET_COOKIE, HeaderValue::from_str(h).unwrap());
        }
        map
    }

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    #[test]
    fn an_unused_jar_holds_no_store() {
        let mut jar = Jar::default();
        jar.store_from(&uri("http://127.0.0.1:1/a"), &HeaderMap::new());
        assert!(jar.is_empty());
        let mut headers = HeaderMap::new();
        jar.add_to(&uri("http://127.0.0.1:1/a"), &mut headers);
        assert!(headers.get(COOKIE).is_none());
    }

    #[test]
    fn stored_cookies_go_back_by_path_and_host() {
        let mut jar = Jar::default();
        let from = uri("http://127.0.0.1:1/app/login");
        jar.store_from(
            &from,
            &set(&["session=s1; Path=/", "scoped=x; Path=/admin"]),
        );
        assert!(!jar.is_empty());
        let mut headers = HeaderMap::new();
        jar.add_to(&uri("http://127.0.0.1:1/api"), &mut headers);
        assert_eq!(headers[COOKIE], "session=s1");
        let mut admin = HeaderMap::new();
        jar.add_to(&uri("http://127.0.0.1:1/admin/x"), &mut admin);
        let line = admin[COOKIE].to_str().unwrap();
        assert!(
            line.contains("session=s1") && line.contains("scoped=x"),
            "{line}"
        );
        // Host-only: another host gets nothing.
        let mut other = HeaderMap::new();
        jar.add_to(&uri("http://localhost:1/api"), &mut other);
        assert!(other.get(COOKIE).is_none());
    }

    #[test]
    fn expired_and_deleted_cookies_are_not_sent() {
        let mut jar = Jar::default();
        let at = uri("http://127.0.0.1:1/");
        jar.store_from(&at, &set(&["a=1; Path=/", "b=2; Path=/"]));
        jar.store_from(&at, &set(&["a=; Path=/; Max-Age=0"]));
        assert_eq!(jar.pairs_for(&at), vec![("b".to_string(), "2".to_string())]);
    }

    #[test]
    fn a_profile_cookie_header_is_kept_and_wins_by_name() {
        let mut jar = Jar::default();
        let at = uri("http://127.0.0.1:1/");
        jar.store_from(&at, &set(&["session=jar; Path=/", "theme=dark; Path=/"]));
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_static("session=mine; lang=en"));
        jar.add_to(&at, &mut headers);
        assert_eq!(headers[COOKIE], "session=mine; lang=en; theme=dark");
    }

    #[test]
    fn debug_never_shows_values() {
        let mut jar = Jar::default();
        jar.store_from(&uri("http://127.0.0.1:1/"), &set(&["session=TOPSECRET"]));
        let shown = format!("{jar:?}");
        assert_eq!(shown, "Jar(1 cookies)");
    }
}
