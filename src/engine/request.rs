//! Requests prepared once at start, so a VU's hot path only clones cheap,
//! reference-counted parts (`Uri`, `Bytes`, `HeaderMap`).

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use http::{HeaderMap, Method, Uri};

use crate::profile::{Check, Choice, Journey, Persona, Profile, RequestSpec, StepExtras};

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
    /// Headers, `Host` included (HTTP/2 drops it and sends the authority in the URI).
    pub headers: HeaderMap,
    /// The `Host` header's value.
    pub host: HeaderValue,
    pub body: Bytes,
    pub timeout: Duration,
    pub check: Check,
    /// Approximate bytes on the wire for the request line and headers.
    pub head_bytes: u64,
    /// Keep the body (up to a limit) for checks, extraction or polling.
    pub keep_body: bool,
    /// Parse the kept body as JSON.
    pub parse_json: bool,
    /// Hand headers and body back to the caller (journey steps).
    pub detail: bool,
    /// Use the VU's cookie jar (send its cookies, store `Set-Cookie`).
    pub cookies: bool,
    /// Redirect hops to follow (0: a 3xx is the response).
    pub follow_redirects: u32,
}

/// Every request of a profile plus the weighted picker over them.
#[derive(Debug)]
pub struct Prepared {
    pub origins: Vec<Origin>,
    pub requests: Vec<PreparedRequest>,
    /// Cumulative weights, for a binary-search pick.
    cumulative: Vec<u64>,
    /// `base_url`, for rendering templated paths.
    pub base_url: String,
    /// Personas, flows and per-request extras (journeys).
    pub journey: Journey,
    /// Personas ready to pick from (one implicit persona when the profile has none).
    pub personas: Vec<PreparedPersona>,
    /// Cumulative persona weights.
    persona_cumulative: Vec<u64>,
    /// First global check id of each request (see `metrics::journey::check_labels`).
    pub check_offsets: Vec<u32>,
    /// This process's share of the run (`--segment`): which run-wide VU ids,
    /// arrivals and `sequential` rows are its own. The whole run without a segment.
    pub segment: crate::segment::Share,
}

/// A persona with its weighted picker.
#[derive(Debug)]
pub struct PreparedPersona {
    pub persona: Persona,
    /// Cumulative choice weights.
    cumulative: Vec<u64>,
    /// Next row for `data` mode `sequential`, shared by the persona's VUs.
    pub data_cursor: AtomicU64,
    /// Whether every choice is a plain request without extras (the fast loop).
    pub plain: bool,
}

impl PreparedPersona {
    fn new(persona: Persona, journey: &Journey) -> PreparedPersona {
        let mut total = 0u64;
        let cumulative = persona
            .choices
            .iter()
            .map(|(_, w)| {
                total += u64::from((*w).max(1));
                total
            })
            .collect();
        let plain = persona.setup.is_empty()
            && persona.data.is_none()
            && persona.choices.iter().all(|(a, _)| match a {
                Choice::Request(i) => journey.step(*i).is_none_or(StepExtras::is_plain),
                Choice::Flow(_) => false,
            });
        PreparedPersona {
            persona,
            cumulative,
            data_cursor: AtomicU64::new(0),
            plain,
        }
    }

    pub fn total_weight(&self) -> u64 {
        *self.cumulative.last().unwrap_or(&1)
    }

    /// Picks a choice by weight; `roll` is uniform in `0..total_weight()`.
    pub fn pick(&self, roll: u64) -> Choice {
        let i = self
            .cumulative
            .partition_point(|&c| c <= roll)
            .min(self.persona.choices.len() - 1);
        self.persona.choices[i].0
    }
}

impl Prepared {
    pub fn new(profile: &Profile) -> Result<Arc<Prepared>, PrepareError> {
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
            return Err(PrepareError::NoRequests);
        }
        let journey = profile.journey.clone();
        for (req, extras) in requests.iter_mut().zip(&journey.steps) {
            let json_check = !req.check.json.is_empty();
            let json_extract = extras
                .extract
                .iter()
                .any(|e| !matches!(e.source, crate::profile::journey::ExtractSource::Header(_)));
            let json_metric = matches!(
                extras.metric.as_ref().map(|m| &m.source),
                Some(crate::profile::journey::MetricSource::Json { .. })
            );
            req.parse_json = json_check
                || extras.repeat_until.is_some()
                || json_metric
                || extras
                    .extract
                    .iter()
                    .any(|e| matches!(e.source, crate::profile::journey::ExtractSource::Json(_)));
            req.keep_body |= req.parse_json || json_extract;
            req.detail = !extras.is_plain();
        }
        let mut personas: Vec<Persona> = journey.personas.clone();
        if personas.is_empty() {
            personas.push(Persona {
                name: String::new(),
                weight: 1,
                think_time: None,
                setup: Vec::new(),
                choices: profile
                    .requests
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (Choice::Request(i), r.weight))
                    .collect(),
                data: None,
            });
        }
        let mut total = 0u64;
        let persona_cumulative = personas
            .iter()
            .map(|p| {
                total += u64::from(p.weight.max(1));
                total
            })
            .collect();
        let personas = personas
            .into_iter()
            .map(|p| PreparedPersona::new(p, &journey))
            .collect();
        Ok(Arc::new(Prepared {
            origins,
            requests,
            cumulative,
            base_url: profile.base_url.trim_end_matches('/').to_string(),
            journey,
            personas,
            persona_cumulative,
            check_offsets: crate::metrics::journey::check_labels(profile).0,
            segment: profile
                .load
                .segment
                .map_or_else(crate::segment::Share::whole, crate::segment::Share::of),
        }))
    }

    /// The persona of VU `id`: deterministic, spread by the golden ratio so that any
    /// number of VUs splits by the weights within about one VU per persona.
    pub fn persona_for(&self, id: u64) -> usize {
        let total = *self.persona_cumulative.last().unwrap_or(&1);
        let spread = (id as f64 * 0.618_033_988_749_894_9).fract();
        let roll = ((spread * total as f64) as u64).min(total - 1);
        self.persona_cumulative
            .partition_point(|&c| c <= roll)
            .min(self.personas.len() - 1)
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

/// Why a profile cannot be turned into requests to send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrepareError {
    #[error("request \"{request}\": {problem}")]
    Request { request: String, problem: String },
    #[error("the profile has no requests")]
    NoRequests,
}

fn prepare(
    profile: &Profile,
    spec: &RequestSpec,
    origins: &mut Vec<Origin>,
) -> Result<PreparedRequest, PrepareError> {
    let err = |problem: String| PrepareError::Request {
        request: spec.name.clone(),
        problem,
    };
    let (absolute, origin) = resolve_url(profile, spec).map_err(err)?;
    let origin = intern(origins, origin);
    let authority = absolute
        .authority()
        .expect("checked by resolve_url")
        .clone();
    let path_uri: Uri = absolute
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .parse()
        .map_err(|e| err(format!("bad path: {e}")))?;
    let method = Method::from_bytes(spec.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| err(format!("\"{}\" is not an HTTP method", spec.method)))?;
    let body = spec
        .body
        .as_ref()
        .map(|b| b.bytes.clone())
        .unwrap_or_default();
    let mut headers = headers(profile, spec, &method, &body).map_err(err)?;
    // The Host header never carries `user:password@`.
    let host_port = authority
        .as_str()
        .rsplit('@')
        .next()
        .unwrap_or(authority.as_str());
    let host = HeaderValue::from_str(host_port).map_err(|_| err("bad host".into()))?;
    let head_bytes = head_bytes(&method, &path_uri, host_port, &headers);
    // Kept in the map so HTTP/1.1 sends it with no per-request insert; the HTTP/2
    // path drops it (the authority travels in the URI there).
    headers.insert(HOST, host.clone());
    Ok(PreparedRequest {
        name: spec.name.clone(),
        origin,
        method,
        path_uri,
        absolute_uri: absolute,
        headers,
        host,
        body,
        timeout: spec.timeout.unwrap_or(profile.defaults.timeout),
        check: spec.check.clone(),
        head_bytes,
        keep_body: spec.check.body_contains.is_some(),
        parse_json: false,
        detail: false,
        cookies: spec.cookies.unwrap_or(profile.defaults.cookies),
        follow_redirects: spec
            .follow_redirects
            .unwrap_or(profile.defaults.follow_redirects),
    })
}

/// The request's absolute URL (a path is joined to the profile's base URL) and
/// the server it goes to.
fn resolve_url(profile: &Profile, spec: &RequestSpec) -> Result<(Uri, Origin), String> {
    let url = if spec.path.starts_with("http://") || spec.path.starts_with("https://") {
        spec.path.clone()
    } else {
        format!("{}{}", profile.base_url.trim_end_matches('/'), spec.path)
    };
    let absolute: Uri = url
        .parse()
        .map_err(|e| format!("\"{url}\" is not a valid URL: {e}"))?;
    let origin = origin_of(&absolute)?;
    Ok((absolute, origin))
}

/// The server an absolute `http(s)://` URI goes to.
pub(crate) fn origin_of(absolute: &Uri) -> Result<Origin, String> {
    let url = absolute;
    let https = match absolute.scheme_str() {
        Some("http") => false,
        Some("https") => true,
        _ => return Err(format!("\"{url}\" must start with http:// or https://")),
    };
    let authority = absolute
        .authority()
        .ok_or_else(|| format!("\"{url}\" has no host"))?;
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
    Ok(Origin { https, host, port })
}

/// The index of `origin` in `origins`, added if new: VUs keep one connection per
/// distinct origin, so requests to the same server share it.
fn intern(origins: &mut Vec<Origin>, origin: Origin) -> usize {
    match origins.iter().position(|o| *o == origin) {
        Some(i) => i,
        None => {
            origins.push(origin);
            origins.len() - 1
        }
    }
}

/// The request's headers without `Host`: the profile's defaults, overridden by
/// name by the request's own, then content type and length.
fn headers(
    profile: &Profile,
    spec: &RequestSpec,
    method: &Method,
    body: &Bytes,
) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::new();
    for (name, value) in profile.defaults.headers.iter().chain(&spec.headers) {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("bad header name \"{name}\""))?;
        let value =
            HeaderValue::from_str(value).map_err(|_| format!("bad value for header \"{name}\""))?;
        headers.insert(name, value);
    }
    headers.remove(HOST);
    if let Some(ct) = spec.body.as_ref().and_then(|b| b.content_type.as_deref())
        && !headers.contains_key(CONTENT_TYPE)
    {
        let ct = HeaderValue::from_str(ct).map_err(|_| "bad content type".to_string())?;
        headers.insert(CONTENT_TYPE, ct);
    }
    if !body.is_empty() || [Method::POST, Method::PUT, Method::PATCH].contains(method) {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    }
    Ok(headers)
}

/// Approximate bytes on the wire for the request line and headers (counted once
/// here so the hot path adds a constant).
fn head_bytes(method: &Method, path: &Uri, host_port: &str, headers: &HeaderMap) -> u64 {
    let line_and_host = method.as_str().len() + path.to_string().len() + 12 + host_port.len() + 8;
    line_and_host as u64
        + headers
            .iter()
            .map(|(n, v)| (n.as_str().len() + v.len() + 4) as u64)
            .sum::<u64>()
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
    fn a_request_that_cannot_be_sent_is_named_with_the_reason() {
        let mut p = profile(&[("/a", 1), ("ftp://127.0.0.1/x", 1)]);
        let err = Prepared::new(&p).unwrap_err();
        assert!(
            matches!(&err, PrepareError::Request { problem, .. } if problem.contains("is not a valid URL")),
            "{err}"
        );
        assert!(err.to_string().starts_with("request \""), "{err}");
        p.requests[1].path = "/b".into();
        p.requests[1].method = "GE T".into();
        let err = Prepared::new(&p).unwrap_err().to_string();
        assert!(err.contains("\"GE T\" is not an HTTP method"), "{err}");
        p.requests.clear();
        assert_eq!(Prepared::new(&p).unwrap_err(), PrepareError::NoRequests);
    }

    #[test]
    fn personas_split_vus_by_weight() {
        use crate::profile::Persona;
        let mut p = profile(&[("/a", 1), ("/b", 1), ("/c", 1)]);
        p.journey.personas = [5u32, 3, 2]
            .iter()
            .enumerate()
            .map(|(i, w)| Persona {
                name: format!("p{i}"),
                weight: *w,
                think_time: None,
                setup: Vec::new(),
                choices: vec![(Choice::Request(i), 1)],
                data: None,
            })
            .collect();
        let prepared = Prepared::new(&p).unwrap();
        for vus in [10u64, 37, 1000] {
            let mut counts = [0u64; 3];
            for id in 0..vus {
                counts[prepared.persona_for(id)] += 1;
            }
            for (i, w) in [5.0, 3.0, 2.0].iter().enumerate() {
                let want = vus as f64 * w / 10.0;
                assert!(
                    (counts[i] as f64 - want).abs() <= 1.5,
                    "{vus} VUs: {counts:?}"
                );
            }
        }
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
