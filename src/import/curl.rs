//! A curl command line (as "Copy as cURL" in a browser writes it) → a [`Call`].

use base64::Engine;

use super::{Call, ImportError};

/// Parses `curl [options] URL`. Options that change what is sent are applied;
/// ones that only change curl's own behaviour (`--compressed`, `-s`, `-L`…) are
/// accepted and ignored; anything else is an error naming the option.
pub fn parse(command: &str) -> Result<Call, ImportError> {
    let words = shell_words::split(command).map_err(|e| ImportError::Curl(e.to_string()))?;
    let mut words = words.into_iter().peekable();
    if words.peek().is_some_and(|w| w == "curl") {
        words.next();
    }
    let mut call = Call {
        method: String::new(),
        url: String::new(),
        headers: Vec::new(),
        body: None,
        at: None,
        response_type: None,
    };
    while let Some(word) = words.next() {
        let mut value = |flag: &str| {
            words
                .next()
                .ok_or_else(|| ImportError::Curl(format!("{flag} needs a value")))
        };
        match word.as_str() {
            "-X" | "--request" => call.method = value(&word)?,
            "-H" | "--header" => {
                let header = value(&word)?;
                let (name, v) = header.split_once(':').ok_or_else(|| {
                    ImportError::Curl(format!("header \"{header}\" is not NAME: VALUE"))
                })?;
                call.headers.push((name.trim().into(), v.trim().into()));
            }
            "-d" | "--data" | "--data-raw" | "--data-binary" | "--data-ascii" => {
                append_body(&mut call, &value(&word)?);
            }
            "--json" => {
                append_body(&mut call, &value(&word)?);
                call.headers
                    .push(("Content-Type".into(), "application/json".into()));
                call.headers
                    .push(("Accept".into(), "application/json".into()));
            }
            "-u" | "--user" => {
                let credentials = base64::engine::general_purpose::STANDARD.encode(value(&word)?);
                call.headers
                    .push(("Authorization".into(), format!("Basic {credentials}")));
            }
            "-A" | "--user-agent" => call.headers.push(("User-Agent".into(), value(&word)?)),
            "-e" | "--referer" => call.headers.push(("Referer".into(), value(&word)?)),
            // Cookies are the browser's session, never part of a profile.
            "-b" | "--cookie" => {
                value(&word)?;
            }
            "--url" => call.url = value(&word)?,
            "--compressed" | "-s" | "--silent" | "-S" | "--show-error" | "-L" | "--location"
            | "-k" | "--insecure" | "-i" | "--include" | "-v" | "--verbose" | "-g"
            | "--globoff" | "--http1.1" | "--http2" | "-f" | "--fail" => {}
            flag if flag.starts_with('-') => {
                return Err(ImportError::Curl(format!(
                    "the option {flag} is not supported"
                )));
            }
            _ if call.url.is_empty() => call.url = word,
            _ => return Err(ImportError::Curl(format!("a second URL \"{word}\""))),
        }
    }
    if call.url.is_empty() {
        return Err(ImportError::Curl("no URL".into()));
    }
    if !call.url.contains("://") {
        call.url = format!("http://{}", call.url);
    }
    if call.method.is_empty() {
        call.method = if call.body.is_some() { "POST" } else { "GET" }.into();
    }
    Ok(call)
}

/// Several `-d`s are joined with `&`, as curl does.
fn append_body(call: &mut Call, data: &str) {
    match &mut call.body {
        Some(body) => {
            body.push('&');
            body.push_str(data);
        }
        None => call.body = Some(data.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_copy_as_curl_becomes_a_post_with_its_headers() {
        let call = parse(
            r#"curl 'https://shop.example/api/login' -H 'content-type: application/json' -H 'authorization: Bearer abc.def' -b 'sid=123' --data-raw '{"user":"a"}' --compressed"#,
        )
        .unwrap();
        assert_eq!(call.method, "POST");
        assert_eq!(call.url, "https://shop.example/api/login");
        assert_eq!(call.body.as_deref(), Some(r#"{"user":"a"}"#));
        assert_eq!(
            call.headers,
            vec![
                ("content-type".into(), "application/json".into()),
                ("authorization".into(), "Bearer abc.def".into()),
            ]
        );
    }

    #[test]
    fn unknown_options_and_missing_urls_are_named() {
        let e = parse("curl --proxy http://p:1 http://h/")
            .unwrap_err()
            .to_string();
        assert!(e.contains("--proxy"), "{e}");
        assert!(
            parse("curl -X POST")
                .unwrap_err()
                .to_string()
                .contains("no URL")
        );
        let call = parse("curl -u me:pw 127.0.0.1:8080/x -X PUT").unwrap();
        assert_eq!(call.url, "http://127.0.0.1:8080/x");
        assert_eq!(call.method, "PUT");
        assert_eq!(call.headers[0].1, "Basic bWU6cHc=");
    }
}
