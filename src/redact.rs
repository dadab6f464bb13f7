//! Secret stripping for every output: sensitive headers, URL passwords and tokens
//! in query strings, and the values of secret-looking `-e` variables wherever they
//! ended up. One [`Redactor`] is built per run and applied where text is produced
//! (the target and request names kept in the record, error messages and log lines
//! in the aggregator) and to the snapshot's data before it is serialised, so the
//! summary, progress lines, dashboard, summary JSON, snapshot and every report
//! inherit it. What leaves here is safe to attach to a ticket.

use serde_json::Value;

/// Secrets shorter than this are not scrubbed from free text: `true`, `2026` or
/// `ping` would also match unrelated words, numbers and names.
pub const MIN_SECRET_LEN: usize = 6;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Header, variable or field names whose values are secrets.
pub fn is_sensitive_name(name: &str) -> bool {
    const MARKERS: [&str; 15] = [
        "auth",
        "key",
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

/// Secret values inside a URL or path: the password of `user:password@` and the
/// values of sensitive query parameters.
pub fn url_secrets(url: &str) -> Vec<String> {
    let mut secrets = Vec::new();
    if let Some(scheme_end) = url.find("://") {
        let rest = &url[scheme_end + 3..];
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        if let Some((userinfo, _)) = authority.rsplit_once('@')
            && let Some((_, password)) = userinfo.split_once(':')
        {
            secrets.push(password.to_string());
        }
    }
    if let Some((_, query)) = url.split_once('?') {
        let query = query.split('#').next().unwrap_or("");
        for pair in query.split('&') {
            if let Some((k, v)) = pair.split_once('=')
                && is_sensitive_name(k)
                && !v.is_empty()
            {
                secrets.push(v.to_string());
            }
        }
    }
    secrets
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

/// Snapshot fields holding encoded binary data (base64 histograms): never scrubbed,
/// since a secret matching inside them would corrupt them.
const BINARY_FIELDS: [&str; 2] = ["latency_us", "second_histograms"];

/// Replaces each secret in every string value of `value` (never keys, numbers or
/// booleans, never encoded histograms), so the result still has the same shape.
pub fn scrub_value(value: &mut Value, secrets: &[String]) {
    match value {
        Value::String(s) => *s = scrub(s, secrets),
        Value::Array(items) => items.iter_mut().for_each(|v| scrub_value(v, secrets)),
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if !BINARY_FIELDS.contains(&key.as_str()) {
                    scrub_value(v, secrets);
                }
            }
        }
        _ => {}
    }
}

/// Replaces every occurrence of each secret (of at least [`MIN_SECRET_LEN`]
/// characters) in one piece of text.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for secret in secrets
        .iter()
        .filter(|s| s.chars().count() >= MIN_SECRET_LEN)
    {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), REDACTED);
        }
    }
    out
}

/// URLs inside free text (`GET http://u:pw@h/x?token=t failed`) with
/// [`redact_url`] applied to each.
fn redact_urls_in(text: &str) -> String {
    if !text.contains("://") && !text.contains('?') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.contains("://") || word.contains('?') {
            out.push_str(&redact_url(word));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '(' | ')' | ',') {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// One run's redaction: the secret values it knows (sensitive headers, URL
/// passwords and tokens, secret-looking `-e` variables, the profile's `redact`
/// list) plus URL rules for any URL in the text.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// Keeps the secrets worth scrubbing: those of at least [`MIN_SECRET_LEN`]
    /// characters that are not a request name (scrubbing those would rename the
    /// request everywhere). Each one skipped is returned as a warning to show.
    pub fn new(candidates: Vec<String>, request_names: &[String]) -> (Redactor, Vec<String>) {
        let mut secrets: Vec<String> = Vec::new();
        let mut warnings = Vec::new();
        for s in candidates {
            if s.is_empty() || secrets.contains(&s) {
                continue;
            }
            if s.chars().count() < MIN_SECRET_LEN {
                warnings.push(format!(
                    "a secret value of {} characters is too short to scrub from messages (at least {MIN_SECRET_LEN}); it is still hidden where its name is known",
                    s.chars().count()
                ));
            } else if request_names.contains(&s) {
                warnings.push(
                    "a secret value equals a request name, so it is not scrubbed from messages; rename the request or change the secret".to_string(),
                );
            } else {
                secrets.push(s);
            }
        }
        // Longest first, so a secret containing another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        (Redactor { secrets }, warnings)
    }

    /// The secret values scrubbed from text.
    pub fn secrets(&self) -> &[String] {
        &self.secrets
    }

    /// `text` with URL passwords, sensitive query values and known secrets replaced.
    pub fn text(&self, text: &str) -> String {
        scrub(&redact_urls_in(text), &self.secrets)
    }
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
    fn secrets_in_urls() {
        assert_eq!(
            url_secrets("https://bob:pw1@h/x?token=t0k&a=1#f"),
            vec!["pw1", "t0k"]
        );
        assert!(url_secrets("/ping?page=2").is_empty());
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

    #[test]
    fn scrub_value_touches_only_strings() {
        let mut v = serde_json::json!({"complete": true, "n": 2026, "true": "is true", "latency_us": "abctruex"});
        scrub_value(&mut v, &["true".into(), "2026".into(), "truex".into()]);
        // Short secrets are skipped; keys, booleans, numbers and histograms are never touched.
        assert_eq!(
            v,
            serde_json::json!({"complete": true, "n": 2026, "true": "is true", "latency_us": "abctruex"})
        );
    }

    #[test]
    fn redactor_text() {
        let (r, warnings) = Redactor::new(
            vec!["hunter22".into(), "ping".into(), "status".into()],
            &["status".into()],
        );
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert_eq!(
            r.text("GET http://bob:pw@h/x?token=t0k failed: hunter22"),
            "GET http://bob:[redacted]@h/x?token=[redacted] failed: [redacted]"
        );
        assert_eq!(r.text("ping status"), "ping status");
        assert!(is_sensitive_name("X-Auth") && is_sensitive_name("X-Session-Id"));
    }
}
