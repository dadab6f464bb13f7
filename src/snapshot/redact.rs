//! Secret stripping for snapshots: sensitive headers, URL passwords and tokens in
//! query strings, and the values of secret-looking `-e` variables wherever they
//! ended up. What leaves here is safe to attach to a ticket.

use serde_json::Value;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Header, variable or field names whose values are secrets.
pub fn is_sensitive_name(name: &str) -> bool {
    const MARKERS: [&str; 14] = [
        "authorization",
        "cookie",
        "token",
        "secret",
        "password",
        "passwd",
        "pass",
        "apikey",
        "api-key",
        "api_key",
        "session",
        "credential",
        "private",
        "signature",
    ];
    let lower = name.to_ascii_lowercase();
    MARKERS.iter().any(|m| lower.contains(m))
        || lower == "key"
        || lower.ends_with("_key")
        || lower.ends_with("-key")
}

/// Strips `user:password@` and sensitive query parameters from a URL or path.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest = &out[scheme_end + 3..];
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@') {
            let userinfo = &rest[..at];
            let user = userinfo.split(':').next().unwrap_or("");
            out = format!("{}{user}:{REDACTED}{}", &out[..scheme_end + 3], &rest[at..]);
        }
    }
    if let Some(q) = out.find('?') {
        let (base, query) = out.split_at(q + 1);
        let query = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if is_sensitive_name(k) => format!("{k}={REDACTED}"),
                _ => pair.to_string(),
            })
            .collect::<Vec<_>>()
            .join("&");
        out = format!("{base}{query}");
    }
    out
}

/// Redacts a serialised profile (or options) in place: header pairs `[name, value]`
/// with sensitive names, URL-ish strings, and object fields with sensitive names.
pub fn redact_value(value: &mut Value) {
    match value {
        Value::Array(items) => {
            if let [Value::String(name), Value::String(v)] = items.as_mut_slice()
                && is_sensitive_name(name)
            {
                *v = REDACTED.to_string();
                return;
            }
            items.iter_mut().for_each(redact_value);
        }
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    Value::String(s) if is_sensitive_name(key) && !s.is_empty() => {
                        *s = REDACTED.to_string()
                    }
                    _ => redact_value(v),
                }
            }
        }
        Value::String(s) if s.contains("://") || s.contains('?') => *s = redact_url(s),
        _ => {}
    }
}

/// Replaces every occurrence of each secret in `text` (the final pass over the
/// serialised snapshot, so a secret substituted into an odd place is caught too).
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        // Secrets are matched as they appear inside JSON strings.
        let escaped = serde_json::to_string(secret).unwrap_or_default();
        let inner = escaped.trim_matches('"');
        out = out.replace(inner, REDACTED);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_names() {
        for n in [
            "Authorization",
            "Cookie",
            "X-Api-Key",
            "API_TOKEN",
            "password",
            "db_pass",
            "AWS_SECRET_ACCESS_KEY",
        ] {
            assert!(is_sensitive_name(n), "{n}");
        }
        for n in ["Accept", "User-Agent", "BASE_URL", "Content-Type"] {
            assert!(!is_sensitive_name(n), "{n}");
        }
    }

    #[test]
    fn urls() {
        assert_eq!(
            redact_url("http://bob:hunter2@h:1/x?a=1&token=abc"),
            "http://bob:[redacted]@h:1/x?a=1&token=[redacted]"
        );
        assert_eq!(redact_url("/ping?x=1"), "/ping?x=1");
    }

    #[test]
    fn values_and_scrub() {
        let mut v = serde_json::json!({
            "headers": [["Authorization", "Bearer abc123"], ["Accept", "*/*"]],
            "password": "hunter2",
            "base_url": "https://u:p4ss@h/",
        });
        redact_value(&mut v);
        let text = v.to_string();
        assert!(
            !text.contains("abc123") && !text.contains("hunter2") && !text.contains("p4ss"),
            "{text}"
        );
        assert!(text.contains("*/*"));
        assert_eq!(scrub("x s3cr3t y", &["s3cr3t".into()]), "x [redacted] y");
    }
}
