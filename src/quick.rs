//! oha / hey / curl-style flags: the shape of the request (`-m`, `-H`, `-d`,
//! `--json`, `-a`, `--disable-keepalive`) applied to a resolved profile, the
//! defaults of a URL run with no load flags (oha's: 50 VUs for 10 s), and the
//! hint for a target written without a scheme.

use std::io::Read;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;

use crate::cli::RunOptions;
use crate::profile::{Body, Profile};

/// oha's default concurrency, used by a URL run given no load flags.
pub const URL_RUN_VUS: u32 = 50;
/// oha's default run length (with `-c` alone too).
pub const URL_RUN_DURATION: Duration = Duration::from_secs(10);

/// A request flag that cannot be applied.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QuickFlagError {
    #[error(
        "{flag} sets the method or body of a one-request run, but this profile has {count} \
         requests: set `method` and `body` per request in the profile instead"
    )]
    ManyRequests { flag: &'static str, count: usize },
    #[error("-m/--method \"{0}\" is not an HTTP method (GET, POST, PUT, DELETE, …)")]
    Method(String),
    #[error("-a/--basic-auth wants USER:PASS, got a value with no ':'")]
    BasicAuth,
    #[error("{flag} {source_name}: cannot read it: {message}")]
    Read {
        flag: &'static str,
        source_name: String,
        message: String,
    },
}

/// Fills in the load of a URL run the user gave no load flags for, as oha does
/// (`-c` 50, `-z` 10 s), and says what it chose; `None` when nothing was filled.
pub fn url_run_defaults(opts: &mut RunOptions) -> Option<String> {
    let open_model = opts.rate.is_some() || opts.rate_stages.is_some();
    if open_model || opts.stages.is_some() {
        return None;
    }
    let mut filled = Vec::new();
    if opts.vus.is_none() {
        opts.vus = Some(URL_RUN_VUS);
        filled.push(format!("{URL_RUN_VUS} VUs (-c)"));
    }
    if opts.duration.is_none() && opts.requests.is_none() {
        opts.duration = Some(URL_RUN_DURATION);
        filled.push(format!(
            "{} (-z)",
            humantime::format_duration(URL_RUN_DURATION)
        ));
    }
    (!filled.is_empty()).then(|| {
        format!(
            "no load flags given: running {} as oha does; set -c, -z, -n or -q to change it",
            filled.join(" for ")
        )
    })
}

/// For a target that is neither a URL nor an existing file but looks like a host
/// (`127.0.0.1:8080/api`, `localhost/ping`): the URL the user probably meant.
pub fn scheme_hint(target: &str) -> Option<String> {
    if target.contains("://") || target.ends_with(".toml") {
        return None;
    }
    let host = target.split(['/', '?']).next().unwrap_or("");
    let host_like = host.contains(':') || host.contains('.') || host == "localhost";
    host_like.then(|| format!("http://{target}"))
}

/// Applies the request flags to every request (`-H`, `-a`, `--disable-keepalive`)
/// or to a one-request profile's only request (`-m`, `-d`, `--json`).
pub fn apply_request_flags(profile: &mut Profile, opts: &RunOptions) -> Result<(), QuickFlagError> {
    for (name, value) in &opts.headers {
        set_default_header(profile, name, value);
    }
    if let Some(credentials) = &opts.basic_auth {
        if !credentials.contains(':') {
            return Err(QuickFlagError::BasicAuth);
        }
        let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
        set_default_header(profile, "Authorization", &format!("Basic {encoded}"));
    }
    // HTTP/2 forbids connection headers; its connection is dropped by the client.
    if opts.disable_keepalive && !opts.http2 {
        set_default_header(profile, "Connection", "close");
    }
    let body = request_body(opts)?;
    if opts.method.is_none() && body.is_none() {
        return Ok(());
    }
    let flag = match (&opts.method, &opts.data, &opts.json) {
        (Some(_), _, _) => "-m/--method",
        (None, Some(_), _) => "-d/--data",
        _ => "--json",
    };
    let [request] = profile.requests.as_mut_slice() else {
        return Err(QuickFlagError::ManyRequests {
            flag,
            count: profile.requests.len(),
        });
    };
    let method = match &opts.method {
        Some(m) => {
            let upper = m.trim().to_ascii_uppercase();
            http::Method::from_bytes(upper.as_bytes())
                .map_err(|_| QuickFlagError::Method(m.clone()))?;
            upper
        }
        // curl and hey send a body with POST unless told otherwise.
        None if body.is_some() => "POST".into(),
        None => request.method.clone(),
    };
    if request.name == "GET /" {
        request.name = format!("{method} /");
    }
    request.method = method;
    if body.is_some() {
        request.body = body;
    }
    Ok(())
}

/// Sets a header every request sends, replacing one of the same name.
fn set_default_header(profile: &mut Profile, name: &str, value: &str) {
    let headers = &mut profile.defaults.headers;
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    headers.push((name.to_string(), value.to_string()));
}

/// The body `-d` or `--json` gives, read from a file or stdin when it starts with `@`.
fn request_body(opts: &RunOptions) -> Result<Option<Body>, QuickFlagError> {
    let (flag, arg, content_type) = match (&opts.data, &opts.json) {
        (Some(data), _) => ("-d/--data", data, None),
        (None, Some(json)) => ("--json", json, Some("application/json".to_string())),
        (None, None) => return Ok(None),
    };
    let (bytes, source) = read_body_arg(flag, arg)?;
    Ok(Some(Body {
        bytes,
        content_type,
        source,
    }))
}

/// `TEXT`, `@FILE` or `@-` (stdin), as curl reads `-d`.
fn read_body_arg(flag: &'static str, arg: &str) -> Result<(Bytes, String), QuickFlagError> {
    let read_error = |source_name: &str, e: std::io::Error| QuickFlagError::Read {
        flag,
        source_name: source_name.to_string(),
        message: e.to_string(),
    };
    match arg.strip_prefix('@') {
        Some("-") => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| read_error("@- (stdin)", e))?;
            Ok((Bytes::from(buf), "stdin".into()))
        }
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| read_error(arg, e))?;
            Ok((Bytes::from(bytes), path.to_string()))
        }
        None => Ok((Bytes::copy_from_slice(arg.as_bytes()), flag.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_without_a_scheme_gets_a_hint() {
        assert_eq!(
            scheme_hint("127.0.0.1:8080/api").as_deref(),
            Some("http://127.0.0.1:8080/api")
        );
        assert_eq!(
            scheme_hint("localhost/ping").as_deref(),
            Some("http://localhost/ping")
        );
        assert_eq!(scheme_hint("profiles/missing.toml"), None);
        assert_eq!(scheme_hint("http://host/"), None);
    }

    #[test]
    fn a_url_run_with_no_load_flags_gets_ohas_defaults() {
        let mut opts = RunOptions::default();
        let note = url_run_defaults(&mut opts).expect("defaults filled");
        assert_eq!(opts.vus, Some(50));
        assert_eq!(opts.duration, Some(Duration::from_secs(10)));
        assert!(note.contains("50 VUs (-c) for 10s (-z)"), "{note}");
        let mut opts = RunOptions {
            requests: Some(100),
            vus: Some(4),
            ..RunOptions::default()
        };
        assert_eq!(url_run_defaults(&mut opts), None);
        assert_eq!(opts.duration, None, "-n runs until its requests are sent");
        let mut opts = RunOptions {
            rate: Some(10),
            ..RunOptions::default()
        };
        assert_eq!(url_run_defaults(&mut opts), None);
        assert_eq!(opts.vus, None, "the open model takes no VU count");
    }

    #[test]
    fn many_requests_refuse_a_method() {
        let mut p = Profile::for_url("http://127.0.0.1:1/a", Vec::new()).unwrap();
        p.requests.push(p.requests[0].clone());
        let opts = RunOptions {
            method: Some("post".into()),
            ..RunOptions::default()
        };
        assert_eq!(
            apply_request_flags(&mut p, &opts),
            Err(QuickFlagError::ManyRequests {
                flag: "-m/--method",
                count: 2
            })
        );
    }
}
