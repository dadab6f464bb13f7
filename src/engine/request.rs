//! Requests prepared once at start, so a VU's hot path only clones cheap,
//! reference-counted parts (`Uri`, `Bytes`, `HeaderMap`).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use http::{HeaderMap, Method, Uri};

use crate::profile::{Check, Profile, RequestSpec};

/// A server a VU keeps a connection to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub https: bool,
    pub host: String,
    pub port: u16,
}

impl Origin {
    /// `host:port` for DNS and logs.
    pub fn host_port(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// One profile request, ready to send.
#[derive(Debug, Clone)]
pub struct PreparedRequest {
    pub name: String,
    /// Index into [`Prepared::origins`].
    pub origin: usize,
    pub method: Method,
    /// Origin-form (`/path?q`), for HTTP/1.1.
    pub path_uri: Uri,
    /// Absolute form, for HTTP/2 (which carries the authority in the URI).
    pub absolute_uri: Uri,
    /// Headers without `Host`.
    pub headers: HeaderMap,
    /// The `Host` header for HTTP/1.1.
    pub host: HeaderValue,
    pub body: Bytes,
    pub timeout: Duration,
    pub check: Check,
    /// Approximate bytes on the wire for the request line and headers.
    pub head_bytes: u64,
}

/// Every request of a profile plus the weighted picker over them.
#[derive(Debug)]
pub struct Prepared {
    pub origins: Vec<Origin>,
    pub requests: Vec<PreparedRequest>,
    /// Cumulative weights, for a binary-search pick.
    cumulative: Vec<u64>,
}

impl Prepared {
    pub fn new(profile: &Profile) -> Result<Arc<Prepared>, String> {
        let mut origins: Vec<Origin> = Vec::new();
        let mut requests = Vec::with_capacity(profile.requests.len());
        let mut cumulative = Vec::with_capacity(profile.requests.len());
        let mut total = 0u64;
        for spec in &profile.requests {
            let req = prepare(profile, spec, &mut origins)?;
            total += u64::from(spec.weight.max(1));
            cumulative.push(total);
            requests.push(req);
        }
        if requests.is_empty() {
            return Err("the profile has no requests".into());
        }
        Ok(Arc::new(Prepared {
            origins,
            requests,
            cumulative,
        }))
    }

    /// Picks a request index by weight; `roll` is uniform in `0..total_weight()`.
    pub fn pick(&self, roll: u64) -> usize {
        self.cumulative
            .partition_point(|&c| c <= roll)
            .min(self.requests.len() - 1)
    }

    pub fn total_weight(&self) -> u64 {
        *self.cumulative.last().unwrap_or(&1)
    }
}

fn prepare(
    profile: &Profile,
    spec: &RequestSpec,
    origins: &mut Vec<Origin>,
) -> Result<PreparedRequest, String> {
    let err = |what: String| format!("request \"{}\": {what}", spec.name);
    let url = if spec.path.starts_with("http://") || spec.path.starts_with("https://") {
        spec.path.clone()
    } else {
        format!("{}{}", profile.base_url.trim_end_matches('/'), spec.path)
    };
    let absolute: Uri = url
        .parse()
        .map_err(|e| err(format!("\"{url}\" is not a valid URL: {e}")))?;
    let https = match absolute.scheme_str() {
        Some("http") => false,
        Some("https") => true,
        _ => {
            return Err(err(format!(
                "\"{url}\" must start with http:// or https://"
            )));
        }
    };
    let authority = absolute
        .authority()
        .ok_or_else(|| err(format!("\"{url}\" has no host")))?
        .clone();
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
    let origin = Origin { https, host, port };
    let origin_index = match origins.iter().position(|o| *o == origin) {
        Some(i) => i,
        None => {
            origins.push(origin);
            origins.len() - 1
        }
    };
    let path_uri: Uri = absolute
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .parse()
        .map_err(|e| err(format!("bad path: {e}")))?;
    let method = Method::from_bytes(spec.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| err(format!("\"{}\" is not an HTTP method", spec.method)))?;

    let mut headers = HeaderMap::new();
    // Request headers override the profile's defaults by name.
    for (name, value) in profile.defaults.headers.iter().chain(&spec.headers) {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| err(format!("bad header name \"{name}\"")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| err(format!("bad value for header \"{name}\"")))?;
        headers.insert(name, value);
    }
    headers.remove(HOST);
    let body = spec
        .body
        .as_ref()
        .map(|b| b.bytes.clone())
        .unwrap_or_default();
    if let Some(ct) = spec.body.as_ref().and_then(|b| b.content_type.as_deref())
        && !headers.contains_key(CONTENT_TYPE)
    {
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_str(ct).map_err(|_| err("bad content type".into()))?,
        );
    }
    if !body.is_empty()
        || method == Method::POST
        || method == Method::PUT
        || method == Method::PATCH
    {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    }
    // The Host header never carries `user:password@`.
    let host_port = authority
        .as_str()
        .rsplit('@')
        .next()
        .unwrap_or(authority.as_str());
    let host = HeaderValue::from_str(host_port).map_err(|_| err("bad host".into()))?;
    let head_bytes = (method.as_str().len() + path_uri.to_string().len() + 12 + host_port.len() + 8)
        as u64
        + headers
            .iter()
            .map(|(n, v)| (n.as_str().len() + v.len() + 4) as u64)
            .sum::<u64>();
    Ok(PreparedRequest {
        name: spec.name.clone(),
        origin: origin_index,
        method,
        path_uri,
        absolute_uri: absolute,
        headers,
        host,
        body,
        timeout: spec.timeout.unwrap_or(profile.defaults.timeout),
        check: spec.check.clone(),
        head_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Stage;

    fn profile(paths: &[(&str, u32)]) -> Profile {
        let mut p = Profile::for_url(
            "http://127.0.0.1:8080/a",
            vec![Stage {
                duration: Duration::from_secs(1),
                target: 1,
            }],
        )
        .unwrap();
        let template = p.requests[0].clone();
        p.requests = paths
            .iter()
            .map(|(path, w)| RequestSpec {
                name: path.to_string(),
                path: path.to_string(),
                weight: *w,
                ..template.clone()
            })
            .collect();
        p
    }

    #[test]
    fn picks_by_weight() {
        let p = Prepared::new(&profile(&[("/a", 1), ("/b", 3)])).unwrap();
        assert_eq!(p.total_weight(), 4);
        let picks: Vec<usize> = (0..4).map(|r| p.pick(r)).collect();
        assert_eq!(picks, vec![0, 1, 1, 1]);
    }

    #[test]
    fn origins_are_shared_and_absolute_urls_add_one() {
        let p = Prepared::new(&profile(&[
            ("/a", 1),
            ("/b?x=1", 1),
            ("https://127.0.0.1:9/z", 1),
        ]))
        .unwrap();
        assert_eq!(p.origins.len(), 2);
        assert_eq!(p.requests[1].path_uri, "/b?x=1");
        assert_eq!(p.requests[1].host, "127.0.0.1:8080");
        assert!(p.origins[1].https);
        assert_eq!(p.requests[2].origin, 1);
        assert_eq!(p.origins[1].host_port(), "127.0.0.1:9");
    }
}
