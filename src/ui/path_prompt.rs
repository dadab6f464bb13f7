//! The `b` prompt's picking: Tab completes a snapshot path (to the common prefix
//! of the matches; a second Tab lists them), ↑/↓ step through the snapshots in
//! the run's snapshot folder, newest first.
//!
//! [`PathPicker`] is the prompt's pure state, changed only through `App::update`.
//! The directory reads ([`recent_snapshots`], [`path_matches`]) are the loop's
//! side of the effects `update` asks for; their results come back as messages.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Folder the snapshots go to when the run names none (`--out` sets it).
pub const DEFAULT_SNAPSHOT_DIR: &str = "snapshots";
/// Snapshots offered by ↑/↓, newest first.
pub const MAX_CHOICES: usize = 50;

/// What the `b` prompt knows beyond its text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathPicker {
    /// The snapshots to step through with ↑/↓, newest first.
    pub choices: Vec<PathBuf>,
    /// Which of them the text shows, if one.
    pub chosen: Option<usize>,
    /// The last Tab found nothing to add: the next one lists the matches.
    tab_pending: bool,
    /// The matches a second Tab listed (file names, folders ending in `/`).
    pub listed: Vec<String>,
    /// The last Tab matched nothing.
    pub no_match: bool,
}

impl PathPicker {
    /// The text was edited by hand: a fresh Tab starts over.
    pub fn edited(&mut self) {
        self.tab_pending = false;
        self.listed.clear();
        self.no_match = false;
        self.chosen = None;
    }

    /// Tab's result for `typed` (still the prompt's `text`): complete to the
    /// matches' common prefix, or list them when Tab added nothing twice.
    pub fn complete(&mut self, text: &mut String, matches: &[String]) {
        self.no_match = matches.is_empty();
        let prefix = common_prefix(matches);
        if prefix.len() > text.len() && prefix.starts_with(text.as_str()) {
            *text = prefix;
            // Still ambiguous: the next Tab lists, as a shell does.
            self.tab_pending = matches.len() > 1;
            self.listed.clear();
        } else if self.tab_pending {
            self.listed = matches.iter().map(|m| display_name(m)).collect();
        } else {
            self.tab_pending = !matches.is_empty();
        }
    }

    /// ↓ (`older`) or ↑: the next snapshot in the list into the text; the first
    /// press of either shows the newest.
    pub fn step(&mut self, text: &mut String, older: bool) {
        let Some(last) = self.choices.len().checked_sub(1) else {
            return;
        };
        let next = match (self.chosen, older) {
            (None, _) => 0,
            (Some(i), true) => (i + 1).min(last),
            (Some(i), false) => i.saturating_sub(1),
        };
        self.chosen = Some(next);
        *text = self.choices[next].display().to_string();
        self.tab_pending = false;
        self.listed.clear();
        self.no_match = false;
    }
}

/// The longest common prefix of `matches` (on character boundaries).
pub fn common_prefix(matches: &[String]) -> String {
    let Some(first) = matches.first() else {
        return String::new();
    };
    let mut end = first.len();
    for m in &matches[1..] {
        end = first
            .char_indices()
            .zip(m.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(end);
    }
    first[..end].to_string()
}

/// A match as the list shows it: its last component (a folder keeps its `/`).
fn display_name(m: &str) -> String {
    let trimmed = m.trim_end_matches('/');
    let name = trimmed.rsplit('/').next().unwrap_or(trimmed);
    if m.ends_with('/') {
        format!("{name}/")
    } else {
        name.to_string()
    }
}

/// Whether a file name looks like a snapshot (`.json`, `.json.zst`, `.zst`).
fn is_snapshot_name(name: &str) -> bool {
    name.ends_with(".json") || name.ends_with(".zst")
}

/// The snapshots in `dir`, newest first (by modification time, then name), at
/// most [`MAX_CHOICES`]; nothing when the folder cannot be read.
pub fn recent_snapshots(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| is_snapshot_name(&e.file_name().to_string_lossy()))
        .map(|e| {
            let modified = e
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(SystemTime::UNIX_EPOCH);
            (modified, e.path())
        })
        .collect();
    found.sort_by(|a, b| b.cmp(a));
    found
        .into_iter()
        .take(MAX_CHOICES)
        .map(|(_, p)| p)
        .collect()
}

/// The paths that complete `typed`: entries of its folder whose names start
/// with its last component, folders (ending in `/`) and snapshot files only,
/// hidden ones only when asked for with a leading dot; sorted.
pub fn path_matches(typed: &str) -> Vec<String> {
    let (dir, stem) = match typed.rfind('/') {
        Some(i) => (&typed[..=i], &typed[i + 1..]),
        None => ("", typed),
    };
    let read_from = if dir.is_empty() { "." } else { dir };
    let Ok(entries) = std::fs::read_dir(read_from) else {
        return Vec::new();
    };
    let mut matches: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.starts_with(stem) || (name.starts_with('.') && !stem.starts_with('.')) {
                return None;
            }
            // Follows symlinks, so a linked folder completes like a folder.
            let is_dir = std::fs::metadata(e.path()).is_ok_and(|m| m.is_dir());
            if is_dir {
                Some(format!("{dir}{name}/"))
            } else {
                is_snapshot_name(&name).then(|| format!("{dir}{name}"))
            }
        })
        .collect();
    matches.sort();
    matches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn common_prefix_of_matches() {
        assert_eq!(common_prefix(&[]), "");
        assert_eq!(common_prefix(&strings(&["a/demo-1.json"])), "a/demo-1.json");
        assert_eq!(
            common_prefix(&strings(&["s/demo-20261201.json", "s/demo-20261202.json"])),
            "s/demo-2026120"
        );
        assert_eq!(common_prefix(&strings(&["é1", "é2"])), "é");
        assert_eq!(common_prefix(&strings(&["x", "y"])), "");
    }

    #[test]
    fn tab_completes_then_lists_on_the_second_press() {
        let mut picker = PathPicker::default();
        let mut text = "s/d".to_string();
        let matches = strings(&["s/demo-1.json", "s/demo-2.json"]);
        picker.complete(&mut text, &matches);
        assert_eq!(text, "s/demo-");
        assert!(picker.listed.is_empty());
        picker.complete(&mut text, &matches);
        assert_eq!(picker.listed, strings(&["demo-1.json", "demo-2.json"]));
        // Without progress on the first press, the second one lists.
        let mut fresh = PathPicker::default();
        fresh.complete(&mut text, &matches);
        assert!(
            fresh.listed.is_empty(),
            "the first Tab without progress waits"
        );
        fresh.complete(&mut text, &matches);
        assert_eq!(fresh.listed.len(), 2);
        picker.edited();
        assert!(picker.listed.is_empty());
        picker.complete(&mut text, &[]);
        assert!(picker.no_match);
    }

    #[test]
    fn arrows_step_through_the_choices_newest_first() {
        let mut picker = PathPicker {
            choices: vec!["new.json".into(), "mid.json".into(), "old.json".into()],
            ..PathPicker::default()
        };
        let mut text = String::new();
        picker.step(&mut text, false);
        assert_eq!(text, "new.json");
        picker.step(&mut text, true);
        picker.step(&mut text, true);
        picker.step(&mut text, true);
        assert_eq!(text, "old.json", "stops at the oldest");
        picker.step(&mut text, false);
        assert_eq!(text, "mid.json");
        let mut empty = PathPicker::default();
        empty.step(&mut text, true);
        assert_eq!(text, "mid.json", "no snapshots: the text stays");
    }

    #[test]
    fn the_folder_lists_snapshots_newest_first_and_completes_names() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        for (name, age_s) in [("b.json", 60), ("a.json.zst", 0), ("c.json", 3600)] {
            let path = dir.path().join(name);
            std::fs::write(&path, "{}").unwrap();
            let file = std::fs::File::options().write(true).open(&path).unwrap();
            file.set_modified(now - std::time::Duration::from_secs(age_s))
                .unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), "").unwrap();
        std::fs::create_dir(dir.path().join("baselines")).unwrap();
        let names: Vec<String> = recent_snapshots(dir.path())
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.json.zst", "b.json", "c.json"]);
        assert!(recent_snapshots(&dir.path().join("missing")).is_empty());

        let root = format!("{}/", dir.path().display());
        let all = path_matches(&root);
        assert_eq!(
            all,
            ["a.json.zst", "b.json", "baselines/", "c.json"].map(|n| format!("{root}{n}"))
        );
        assert_eq!(
            path_matches(&format!("{root}ba")),
            [format!("{root}baselines/")]
        );
    }
}
