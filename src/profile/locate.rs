//! Byte offset → dotted field path (`request[2].weight`), for errors that serde
//! reports with a span but no path (unknown keys, wrong types, missing fields).
//!
//! toml keeps the key path of a deserialization error private, so we walk the
//! spanned document tree (`toml::de::DeTable`) instead and find the deepest key or
//! value whose span covers the offset.

use serde_spanned::Spanned;
use toml::de::{DeTable, DeValue};

/// Path of the deepest key or value in `root` covering byte `offset` ("" for the top level).
pub(crate) fn field_at(root: &DeTable<'_>, offset: usize) -> String {
    let mut path = Vec::new();
    in_table(root, offset, &mut path);
    join(&path)
}

/// Best-effort field for a syntax error the recovering parser could not place: the
/// table header above `offset` (`[[request]]` counted as `request[N]`) and the key on
/// the offending line, read from the raw lines.
pub(crate) fn field_by_lines(text: &str, offset: usize) -> String {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |nl| nl + 1);
    let line = text[line_start..].lines().next().unwrap_or("").trim();
    if let Some(header) = line.strip_prefix('[') {
        return header.trim_matches(['[', ']', ' ']).to_string();
    }
    let mut table = String::new();
    let mut arrays: Vec<(String, usize)> = Vec::new();
    for header in text[..line_start].lines().map(str::trim) {
        if let Some(name) = header.strip_prefix("[[").and_then(|h| h.split("]]").next()) {
            let name = name.trim().to_string();
            let count = match arrays.iter_mut().find(|(n, _)| *n == name) {
                Some((_, count)) => {
                    *count += 1;
                    *count
                }
                None => {
                    arrays.push((name.clone(), 0));
                    0
                }
            };
            table = format!("{name}[{count}]");
        } else if let Some(name) = header.strip_prefix('[').and_then(|h| h.split(']').next()) {
            table = name.trim().to_string();
        }
    }
    let key = line
        .split_once('=')
        .map(|(key, _)| key.trim())
        .filter(|key| {
            !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.\"' ".contains(c))
        });
    match key {
        Some(key) if table.is_empty() => key.to_string(),
        Some(key) => format!("{table}.{key}"),
        None => table,
    }
}

enum Segment {
    Key(String),
    Index(usize),
}

fn in_table(table: &DeTable<'_>, offset: usize, path: &mut Vec<Segment>) -> bool {
    for (key, value) in table {
        path.push(Segment::Key(key.get_ref().to_string()));
        // Children first: a `[[request]]` table's own span may cover only its header.
        if in_value(value, offset, path) || key.span().contains(&offset) {
            return true;
        }
        path.pop();
    }
    false
}

fn in_value(value: &Spanned<DeValue<'_>>, offset: usize, path: &mut Vec<Segment>) -> bool {
    match value.get_ref() {
        DeValue::Table(table) if in_table(table, offset, path) => return true,
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Segment::Index(i));
                if in_value(item, offset, path) {
                    return true;
                }
                path.pop();
            }
        }
        _ => {}
    }
    value.span().contains(&offset)
}

/// `request[2].weight`; keys that are not bare TOML keys are quoted (`thresholds."ping.p95"`).
fn join(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
            Segment::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&quote_key(key));
            }
        }
    }
    out
}

/// A key as it would appear in a dotted path: bare when TOML allows it, else quoted.
pub(crate) fn quote_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_string()
    } else {
        format!("\"{}\"", key.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(text: &str, needle: &str) -> String {
        let doc = DeTable::parse(text).unwrap();
        field_at(doc.get_ref(), text.find(needle).unwrap())
    }

    #[test]
    fn syntax_fallback_reads_headers_and_keys() {
        let text = "name = \"x\"\n[[request]]\npath = \"/a\"\n[[request]]\npath = /b\n";
        assert_eq!(
            field_by_lines(text, text.find("/b").unwrap()),
            "request[1].path"
        );
        let text = "[load]\nstages = \"1s:1\n";
        assert_eq!(field_by_lines(text, text.len() - 1), "load.stages");
        assert_eq!(field_by_lines("name = \n", 7), "name");
        assert_eq!(field_by_lines("a = 1\n[load\n", 8), "load");
    }

    #[test]
    fn finds_keys_values_and_array_items() {
        let text = "name = \"x\"\n[load]\nstages = [ { duration = \"1s\", target = 2 }, { duration = \"9x\", target = 1 } ]\n\
                    [[request]]\npath = \"/a\"\n[[request]]\npath = \"/b\"\nweight = 0\n\
                    [thresholds]\n\"ping.p95\" = \"< 1s\"\n";
        assert_eq!(field(text, "name"), "name");
        assert_eq!(field(text, "\"9x\""), "load.stages[1].duration");
        assert_eq!(field(text, "target = 1"), "load.stages[1].target");
        assert_eq!(field(text, "\"/b\""), "request[1].path");
        assert_eq!(field(text, "weight"), "request[1].weight");
        assert_eq!(field(text, "\"< 1s\""), "thresholds.\"ping.p95\"");
    }
}
