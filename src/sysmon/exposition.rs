//! Reading one number out of a metrics document: Prometheus text exposition, or
//! JSON at a path.

/// The value of the first sample of metric `name` in Prometheus text format.
pub(super) fn prometheus_value(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .find_map(|line| {
            let rest = line.strip_prefix(name)?;
            // The name must end here: labels, or whitespace before the value.
            let rest = if let Some(labels) = rest.strip_prefix('{') {
                &labels[labels.find('}')? + 1..]
            } else if rest.starts_with(char::is_whitespace) {
                rest
            } else {
                return None;
            };
            rest.split_whitespace().next()?.parse::<f64>().ok()
        })
}

/// Turns a JSON path (`$.memory.rss_bytes`, `$.a[0].b`, `memory.rss`) into a JSON
/// pointer (`/memory/rss_bytes`); a path already starting with `/` is kept.
pub(super) fn json_pointer(path: &str) -> String {
    if path.starts_with('/') {
        return path.to_string();
    }
    let path = path.strip_prefix('$').unwrap_or(path);
    let mut pointer = String::new();
    for part in path.split(['.', '[']).filter(|p| !p.is_empty()) {
        let key = part.strip_suffix(']').unwrap_or(part);
        let key = key.trim_matches(|c| c == '\'' || c == '"');
        pointer.push('/');
        pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
    }
    pointer
}

/// The number (or numeric string) at `pointer` in a JSON document.
pub(super) fn json_value(text: &str, pointer: &str) -> Option<f64> {
    let doc: serde_json::Value = serde_json::from_str(text).ok()?;
    match doc.pointer(pointer)? {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_text() {
        let text = "# HELP process_resident_memory_bytes Resident memory size in bytes.\n\
                    # TYPE process_resident_memory_bytes gauge\n\
                    process_resident_memory_bytes_total 1\n\
                    process_resident_memory_bytes 1.23456e+08\n\
                    process_cpu_seconds_total{pid=\"7\"} 12.5\n";
        assert_eq!(
            prometheus_value(text, "process_resident_memory_bytes"),
            Some(123_456_000.0)
        );
        assert_eq!(
            prometheus_value(text, "process_cpu_seconds_total"),
            Some(12.5)
        );
        assert_eq!(prometheus_value(text, "missing"), None);
    }

    #[test]
    fn json_paths() {
        assert_eq!(json_pointer("$.memory.rss_bytes"), "/memory/rss_bytes");
        assert_eq!(json_pointer("$.procs[1].rss"), "/procs/1/rss");
        assert_eq!(json_pointer("memory.rss"), "/memory/rss");
        assert_eq!(json_pointer("/a/b"), "/a/b");
        let doc = r#"{"memory":{"rss_bytes":4096,"text":"512"},"procs":[{},{"rss":7}]}"#;
        assert_eq!(json_value(doc, "/memory/rss_bytes"), Some(4096.0));
        assert_eq!(json_value(doc, "/memory/text"), Some(512.0));
        assert_eq!(json_value(doc, &json_pointer("$.procs[1].rss")), Some(7.0));
        assert_eq!(json_value(doc, "/nope"), None);
    }
}
