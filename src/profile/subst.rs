//! `${VAR}` / `${VAR:-default}` substitution in profile strings.
//!
//! Substitution runs on individual string values after TOML parsing, never on the
//! file text, so TOML spans (and therefore error line:column) stay exact and a
//! variable's value can never change the document's structure.

/// Substitutes `${VAR}` and `${VAR:-default}` in `text`, looking names up with `lookup`.
///
/// `$$` is a literal `$`; a `$` not followed by `{` or `$` is kept as is (so
/// `price: $5` needs no escaping). The default runs to the first `}`, so it cannot
/// itself contain `}`. An unset variable without a default is an error naming it.
pub fn substitute_vars(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner_and_tail) = after.strip_prefix('{') {
            let close = inner_and_tail.find('}').ok_or_else(|| {
                format!(
                    "\"${{{inner_and_tail}\" is missing its closing \"}}\" (write \"$$\" for a literal \"$\")"
                )
            })?;
            out.push_str(&expand(&inner_and_tail[..close], lookup)?);
            rest = &inner_and_tail[close + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Expands the inside of one `${…}`.
fn expand(inner: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let (name, default) = match inner.split_once(":-") {
        Some((name, default)) => (name, Some(default)),
        None => (inner, None),
    };
    if !is_var_name(name) {
        return Err(format!(
            "\"${{{inner}}}\": \"{name}\" is not a variable name (letters, digits and _, not starting with a digit)"
        ));
    }
    match (lookup(name), default) {
        (Some(value), _) => Ok(value),
        (None, Some(default)) => Ok(default.to_string()),
        (None, None) => Err(format!(
            "variable \"{name}\" is not set; pass -e {name}=VALUE, export it, or give a default: \"${{{name}:-VALUE}}\""
        )),
    }
}

fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Option<String> {
        match name {
            "HOST" => Some("example.test".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    fn subst(text: &str) -> Result<String, String> {
        substitute_vars(text, &lookup)
    }

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(
            subst("http://127.0.0.1:8080/ping").unwrap(),
            "http://127.0.0.1:8080/ping"
        );
        assert_eq!(subst("").unwrap(), "");
    }

    #[test]
    fn set_variable_is_replaced() {
        assert_eq!(
            subst("http://${HOST}:80").unwrap(),
            "http://example.test:80"
        );
        assert_eq!(subst("${HOST}${HOST}").unwrap(), "example.testexample.test");
    }

    #[test]
    fn default_used_only_when_unset() {
        assert_eq!(subst("${NOPE:-http://x:1}").unwrap(), "http://x:1");
        assert_eq!(subst("${HOST:-other}").unwrap(), "example.test");
        assert_eq!(subst("${NOPE:-}").unwrap(), "");
        // A variable set to the empty string counts as set.
        assert_eq!(subst("${EMPTY:-fallback}").unwrap(), "");
    }

    #[test]
    fn unset_without_default_names_the_variable() {
        let err = subst("${BASE_URL}/x").unwrap_err();
        assert!(err.contains("\"BASE_URL\" is not set"), "{err}");
        assert!(err.contains("-e BASE_URL=VALUE"), "{err}");
    }

    #[test]
    fn dollar_escapes_and_lone_dollars() {
        assert_eq!(subst("$${HOST}").unwrap(), "${HOST}");
        assert_eq!(subst("a$$b").unwrap(), "a$b");
        assert_eq!(subst("costs $5").unwrap(), "costs $5");
        assert_eq!(subst("end$").unwrap(), "end$");
    }

    #[test]
    fn malformed_references_are_errors() {
        assert!(subst("${HOST").unwrap_err().contains("closing"));
        assert!(subst("${}").unwrap_err().contains("not a variable name"));
        assert!(subst("${1X}").unwrap_err().contains("not a variable name"));
        assert!(subst("${A-B}").unwrap_err().contains("not a variable name"));
    }
}
