//! [`ProfileError`]: what is wrong with a profile, and exactly where.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A profile that could not be read or is invalid.
///
/// Displays as `FILE:LINE:COLUMN: FIELD: MESSAGE`, then an indented `help:` line when
/// there is a suggested fix, e.g.
/// `profiles/x.toml:12:9: request[2].weight: weight must be at least 1 (a request with weight 0 would never run)`.
/// Line and column are absent when the file itself could not be read.
///
/// The details are boxed so `Result<_, ProfileError>` stays one pointer wide
/// (hence a hand-written `Error` impl: thiserror cannot see a boxed `#[source]`).
#[derive(Debug)]
pub struct ProfileError(Box<Details>);

#[derive(Debug)]
struct Details {
    file: PathBuf,
    /// 1-based line and column (in characters).
    position: Option<(usize, usize)>,
    field: Option<String>,
    message: String,
    hint: Option<String>,
    /// The I/O error behind a file that could not be read.
    source: Option<std::io::Error>,
}

impl ProfileError {
    /// The profile file itself could not be read (not found, no permission, not UTF-8).
    pub fn unreadable(file: &Path, source: std::io::Error) -> ProfileError {
        let hint = (source.kind() == std::io::ErrorKind::NotFound).then(|| {
            "check the path; shipped profiles live in profiles/, e.g. profiles/demo.toml"
                .to_string()
        });
        ProfileError(Box::new(Details {
            file: file.to_path_buf(),
            position: None,
            field: None,
            message: format!("cannot read the profile: {source}"),
            hint,
            source: Some(source),
        }))
    }

    /// The file is not UTF-8: positioned at the first bad byte.
    pub fn not_utf8(file: &Path, bytes: &[u8], err: &std::str::Utf8Error) -> ProfileError {
        let at = err.valid_up_to();
        // The prefix up to `at` is valid UTF-8, so lines and columns can be counted in it.
        let prefix = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
        ProfileError(Box::new(Details {
            file: file.to_path_buf(),
            position: Some(line_column(prefix, at)),
            field: None,
            message: format!(
                "the profile is not UTF-8 text: byte 0x{:02X} at offset {at} is not valid UTF-8",
                bytes.get(at).copied().unwrap_or(0)
            ),
            hint: Some("save the file as UTF-8 (TOML files must be UTF-8)".into()),
            source: None,
        }))
    }

    /// The file was not read at all, for the reason given (not a regular file, too large).
    pub fn refused(file: &Path, message: String, hint: &str) -> ProfileError {
        ProfileError(Box::new(Details {
            file: file.to_path_buf(),
            position: None,
            field: None,
            message,
            hint: Some(hint.into()),
            source: None,
        }))
    }

    /// The profile file as the caller named it.
    pub fn file(&self) -> &Path {
        &self.0.file
    }

    /// 1-based line, if the error has a position.
    pub fn line(&self) -> Option<usize> {
        self.0.position.map(|(line, _)| line)
    }

    /// 1-based column (in characters), if the error has a position.
    pub fn column(&self) -> Option<usize> {
        self.0.position.map(|(_, column)| column)
    }

    /// Dotted path of the field, e.g. `request[2].weight` or `load.stages[1].duration`
    /// (array indices count from 0, in file order).
    pub fn field(&self) -> Option<&str> {
        self.0.field.as_deref()
    }

    /// What is wrong, without file, position or field.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// How to fix it, when we can tell.
    pub fn hint(&self) -> Option<&str> {
        self.0.hint.as_deref()
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> ProfileError {
        self.0.hint = Some(hint.into());
        self
    }
}

impl std::error::Error for ProfileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.0;
        write!(f, "{}", d.file.display())?;
        if let Some((line, column)) = d.position {
            write!(f, ":{line}:{column}")?;
        }
        if let Some(field) = &d.field {
            write!(f, ": {field}")?;
        }
        write!(f, ": {}", d.message)?;
        if let Some(hint) = &d.hint {
            write!(f, "\n  help: {hint}")?;
        }
        Ok(())
    }
}

/// Builds positioned errors for one profile text.
pub(crate) struct Reporter<'a> {
    pub text: &'a str,
    pub file: &'a Path,
}

impl Reporter<'_> {
    /// An error at byte range `span` of the text, about `field`. The message is
    /// any error or text (typed errors from lower modules keep their wording).
    pub fn at(
        &self,
        span: Range<usize>,
        field: impl Into<String>,
        message: impl std::fmt::Display,
    ) -> ProfileError {
        ProfileError(Box::new(Details {
            file: self.file.to_path_buf(),
            position: Some(line_column(self.text, span.start)),
            field: Some(field.into()).filter(|f: &String| !f.is_empty()),
            message: message.to_string(),
            hint: None,
            source: None,
        }))
    }
}

/// 1-based line and column (counted in characters) of byte `offset` in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |nl| nl + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// The candidate closest to `word` by edit distance, if it looks like a typo of it.
pub(crate) fn did_you_mean<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    candidates
        .iter()
        .map(|c| (edit_distance(&word.to_ascii_lowercase(), c), *c))
        .filter(|&(d, c)| {
            !word.is_empty()
                && (d <= (c.len() / 3).max(1) || c.starts_with(word) || word.starts_with(c))
        })
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters; the words here are short key names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_is_one_based_in_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 4), (1, 5));
        assert_eq!(line_column(text, 6), (2, 1));
        // "é" is two bytes but one column.
        assert_eq!(line_column(text, text.find('"').unwrap()), (2, 6));
        assert_eq!(line_column(text, 1000), (3, 1));
    }

    #[test]
    fn suggestions_catch_typos_only() {
        let keys = ["timeout", "headers", "think_time"];
        assert_eq!(did_you_mean("thinktime", &keys), Some("think_time"));
        assert_eq!(did_you_mean("header", &keys), Some("headers"));
        assert_eq!(did_you_mean("Timeout", &keys), Some("timeout"));
        assert_eq!(did_you_mean("banana", &keys), None);
    }

    #[test]
    fn display_with_and_without_position() {
        let e = Reporter {
            text: "a\nweight = 0",
            file: Path::new("profiles/x.toml"),
        }
        .at(11..12, "request[2].weight", "weight must be at least 1")
        .with_hint("use weight = 1");
        assert_eq!(
            e.to_string(),
            "profiles/x.toml:2:10: request[2].weight: weight must be at least 1\n  help: use weight = 1"
        );
        let e = ProfileError::unreadable(
            Path::new("nope.toml"),
            std::io::Error::from(std::io::ErrorKind::NotFound),
        );
        assert!(
            e.to_string()
                .starts_with("nope.toml: cannot read the profile: ")
        );
        assert_eq!(e.line(), None);
    }
}
