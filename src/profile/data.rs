//! Data files (`data = { file = "assets/users.csv", mode = "per-vu" }`): rows whose
//! columns become `{{variables}}`. CSV (first row = column names) or JSON lines (one
//! object per line; the first line's keys are the columns). Loaded and checked
//! completely at load time, so a short row or a missing file is a validation error.

use std::path::Path;

/// How a VU picks rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataMode {
    /// One row per VU for its whole life: VU n gets row n (wrapping when VUs outnumber rows).
    PerVu,
    /// Each iteration takes the next row, shared by all VUs (wrapping).
    Sequential,
    /// Each iteration takes a random row.
    Random,
}

impl DataMode {
    pub fn parse(text: &str) -> Option<DataMode> {
        match text.trim() {
            "per-vu" => Some(DataMode::PerVu),
            "sequential" => Some(DataMode::Sequential),
            "random" => Some(DataMode::Random),
            _ => None,
        }
    }
}

/// A loaded data file.
#[derive(Debug, Clone)]
pub struct DataSet {
    /// As resolved (for messages).
    pub file: String,
    pub mode: DataMode,
    pub columns: Vec<String>,
    /// Variable slot of each column.
    pub slots: Vec<u16>,
    /// Every row has exactly `columns.len()` values.
    pub rows: Vec<Vec<String>>,
}

/// Reads `path`: `.jsonl`/`.ndjson` as JSON lines, anything else as CSV.
/// `Err` is a message naming the file and, for a bad row, its line.
pub fn load_rows(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>), String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read data file \"{shown}\": {e}"))?;
    let is_jsonl = path
        .extension()
        .is_some_and(|e| e == "jsonl" || e == "ndjson");
    let (columns, rows) = if is_jsonl {
        json_lines(&text).map_err(|e| format!("data file \"{shown}\": {e}"))?
    } else {
        csv_rows(&text).map_err(|e| format!("data file \"{shown}\": {e}"))?
    };
    if rows.is_empty() {
        return Err(format!("data file \"{shown}\" has no data rows"));
    }
    Ok((columns, rows))
}

fn csv_rows(text: &str) -> Result<(Vec<String>, Vec<Vec<String>>), String> {
    // Flexible so a short row is reported by us, with its line, not as a generic error.
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| format!("unreadable header row: {e}"))?
        .iter()
        .map(str::to_string)
        .collect();
    if columns.iter().any(String::is_empty) {
        return Err("the header row has an empty column name".into());
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("unreadable row: {e}"))?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != columns.len() {
            return Err(format!(
                "line {line} has {} values but the header has {} ({})",
                record.len(),
                columns.len(),
                columns.join(", ")
            ));
        }
        rows.push(record.iter().map(str::to_string).collect());
    }
    Ok((columns, rows))
}

fn json_lines(text: &str) -> Result<(Vec<String>, Vec<Vec<String>>), String> {
    let mut columns: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("line {}: not JSON: {e}", i + 1))?;
        let serde_json::Value::Object(map) = value else {
            return Err(format!("line {}: expected a JSON object", i + 1));
        };
        let cols = columns.get_or_insert_with(|| map.keys().cloned().collect());
        let mut row = Vec::with_capacity(cols.len());
        for col in cols.iter() {
            let value = map.get(col).ok_or_else(|| {
                format!(
                    "line {}: missing key \"{col}\" (the first line has it)",
                    i + 1
                )
            })?;
            row.push(json_to_var(value));
        }
        rows.push(row);
    }
    Ok((columns.unwrap_or_default(), rows))
}

/// A JSON value as text for a variable: strings without quotes, the rest as JSON.
pub fn json_to_var(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_values_become_variable_text() {
        assert_eq!(json_to_var(&serde_json::json!("x")), "x");
        assert_eq!(json_to_var(&serde_json::json!(7)), "7");
    }

    #[test]
    fn csv_with_header_and_short_row() {
        let (cols, rows) = csv_rows("username,password\nada, pw1\nbob,pw2\n").unwrap();
        assert_eq!(cols, ["username", "password"]);
        assert_eq!(rows[0], ["ada", "pw1"]);
        let err = csv_rows("username,password\nada,pw1\nbob\n").unwrap_err();
        assert!(
            err.contains("line 3 has 1 values but the header has 2"),
            "{err}"
        );
    }

    #[test]
    fn json_lines_use_first_keys() {
        let (cols, rows) =
            json_lines("{\"u\":\"ada\",\"n\":1}\n\n{\"u\":\"bob\",\"n\":2}\n").unwrap();
        assert_eq!(cols.len(), 2);
        assert_eq!(rows.len(), 2);
        assert!(
            json_lines("{\"u\":\"ada\"}\n{\"x\":1}\n")
                .unwrap_err()
                .contains("line 2")
        );
    }
}
