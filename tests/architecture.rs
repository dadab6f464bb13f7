//! The module graph stays one-way: no cycle between modules that sit side by side
//! (top-level modules under `src/`, and the children of any directory module), so
//! every layer can be read and changed knowing only the layers below it.
//!
//! The check reads the sources: each `crate::…`, `super::…` and `self::…` path in
//! production code (comments and `#[cfg(test)]` modules left out) is an edge from
//! the module that names it to the module it names, at the level where their paths
//! part. A cycle fails the test and names the files that close it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path such as `["ui", "widgets", "latency"]`.
type ModPath = Vec<String>;

#[test]
fn no_module_cycles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = rust_files(&root);
    let modules: BTreeSet<ModPath> = files.iter().map(|f| module_path(&root, f)).collect();
    // Edges per scope (the parent module path), with the file that adds each.
    let mut graphs: BTreeMap<ModPath, Graph> = BTreeMap::new();
    for file in &files {
        let from = module_path(&root, file);
        if from.is_empty() {
            continue; // lib.rs and main.rs sit above everything.
        }
        let source = production_code(&std::fs::read_to_string(file).unwrap());
        for to in referenced_paths(&source, &from) {
            if let Some((scope, a, b)) = parting(&from, &to, &modules) {
                graphs
                    .entry(scope)
                    .or_default()
                    .entry(a)
                    .or_default()
                    .entry(b)
                    .or_default()
                    .insert(file.strip_prefix(&root).unwrap().display().to_string());
            }
        }
    }
    let mut cycles = Vec::new();
    for (scope, graph) in &graphs {
        for cycle in strongly_connected(graph)
            .into_iter()
            .filter(|c| c.len() > 1)
        {
            let mut lines = vec![format!(
                "cycle in `{}`: {}",
                if scope.is_empty() {
                    "crate".to_string()
                } else {
                    scope.join("::")
                },
                cycle.join(" ⇄ ")
            )];
            for a in &cycle {
                for (b, files) in &graph[a] {
                    if cycle.contains(b) {
                        let files: Vec<_> = files.iter().cloned().collect();
                        lines.push(format!("  {a} → {b}  ({})", files.join(", ")));
                    }
                }
            }
            cycles.push(lines.join("\n"));
        }
    }
    assert!(
        cycles.is_empty(),
        "module cycles (move the shared types down, see docs/architecture.md):\n{}",
        cycles.join("\n")
    );
}

/// `from → to → files that add the edge`.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn module_path(root: &Path, file: &Path) -> ModPath {
    let rel = file.strip_prefix(root).unwrap().with_extension("");
    let mut parts: ModPath = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The source without comments and without `#[cfg(test)]` items: tests may reach
/// anywhere, production code may not.
fn production_code(source: &str) -> String {
    let code = match source.find("#[cfg(test)]") {
        Some(i) => &source[..i],
        None => source,
    };
    code.lines()
        .map(|line| match line.find("//") {
            // `//` inside a string literal (a URL) is rare in paths; good enough here.
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every module path named in `source`, resolved to an absolute path.
fn referenced_paths(source: &str, from: &ModPath) -> Vec<ModPath> {
    let bytes = source.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let at_word_start = i == 0 || !is_ident(bytes[i - 1]) && bytes[i - 1] != b':';
        if at_word_start {
            for (prefix, base) in [
                ("crate::", Vec::new()),
                ("super::", parent(from)),
                ("self::", from.clone()),
            ] {
                if bytes[i..].starts_with(prefix.as_bytes()) {
                    let (paths, end) = parse_tail(source, i + prefix.len(), base);
                    out.extend(paths);
                    i = end;
                    break;
                }
            }
        }
        i += 1;
    }
    out
}

/// The module a `super::` in `from` points to: the parent for a `mod.rs` as well,
/// since `from` is already the directory's module path.
fn parent(from: &ModPath) -> ModPath {
    from[..from.len().saturating_sub(1)].to_vec()
}

/// Parses `a::b::{c, d::e}` (or more `super::`s) after a path prefix.
fn parse_tail(source: &str, mut i: usize, mut base: ModPath) -> (Vec<ModPath>, usize) {
    let bytes = source.as_bytes();
    loop {
        if bytes[i..].starts_with(b"super::") {
            base.pop();
            i += "super::".len();
            continue;
        }
        if i < bytes.len() && bytes[i] == b'{' {
            let close = matching_brace(bytes, i);
            let mut out = Vec::new();
            for item in split_top_level(&source[i + 1..close]) {
                let item = item.trim();
                let item = item.strip_prefix("self::").unwrap_or(item);
                if item.is_empty() || item == "self" {
                    continue;
                }
                let (paths, _) = parse_tail(item, 0, base.clone());
                out.extend(paths);
            }
            return (out, close);
        }
        let start = i;
        while i < bytes.len() && is_ident(bytes[i]) {
            i += 1;
        }
        if i == start {
            return (vec![base], i);
        }
        base.push(source[start..i].to_string());
        if bytes[i..].starts_with(b"::") {
            i += 2;
        } else {
            return (vec![base], i);
        }
    }
}

fn matching_brace(bytes: &[u8], open: usize) -> usize {
    let mut depth = 0;
    for (j, &b) in bytes.iter().enumerate().skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return j;
                }
            }
            _ => {}
        }
    }
    bytes.len()
}

fn split_top_level(s: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0, 0);
    for (j, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..j]);
                start = j + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Where `from` and `to` part: the scope they share and the two sibling modules
/// under it, when both are modules (an item of the shared parent is no edge).
fn parting(
    from: &ModPath,
    to: &ModPath,
    modules: &BTreeSet<ModPath>,
) -> Option<(ModPath, String, String)> {
    let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
    let (a, b) = (from.get(common)?, to.get(common)?);
    let b_module: ModPath = to[..=common].to_vec();
    modules
        .contains(&b_module)
        .then(|| (from[..common].to_vec(), a.clone(), b.clone()))
}

/// Tarjan's strongly connected components.
fn strongly_connected(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        if let Some(edges) = s.graph.get(v) {
            for w in edges.keys() {
                let w = w.as_str();
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let lw = s.low[w];
                    s.low.insert(v, s.low[v].min(lw));
                } else if s.stack.contains(&w) {
                    let iw = s.index[w];
                    s.low.insert(v, s.low[v].min(iw));
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            component.sort();
            s.out.push(component);
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

#[test]
fn the_checker_sees_a_cycle() {
    // Guards the guard: two files that name each other must be found.
    let modules: BTreeSet<ModPath> = [vec!["a".to_string()], vec!["b".to_string()]].into();
    let a = vec!["a".to_string()];
    let b = vec!["b".to_string()];
    let mut graph = Graph::new();
    for (from, src) in [
        (&a, "use crate::b::Thing;"),
        (&b, "use crate::{a::{X, Y}, c};"),
    ] {
        for to in referenced_paths(src, from) {
            if let Some((_, x, y)) = parting(from, &to, &modules) {
                graph
                    .entry(x)
                    .or_default()
                    .entry(y)
                    .or_default()
                    .insert(String::new());
            }
        }
    }
    let cycles: Vec<_> = strongly_connected(&graph)
        .into_iter()
        .filter(|c| c.len() > 1)
        .collect();
    assert_eq!(cycles, vec![vec!["a".to_string(), "b".to_string()]]);
    // `super::` from a child resolves to its sibling.
    let from = vec!["ui".to_string(), "keymap".to_string()];
    assert_eq!(
        referenced_paths("use super::state::{Msg, App};", &from),
        vec![
            vec!["ui".to_string(), "state".to_string(), "Msg".to_string()],
            vec!["ui".to_string(), "state".to_string(), "App".to_string()]
        ]
    );
}

/// Every dependency in Cargo.toml is named somewhere in the code (the cheap form of
/// `cargo machete`): a crate left behind after a refactor costs build time and
/// audit surface for nothing.
#[test]
fn every_dependency_is_used() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let mut sources = String::new();
    for dir in ["src", "tests", "benches"] {
        for file in rust_files(&root.join(dir)) {
            sources.push_str(&std::fs::read_to_string(file).unwrap());
            sources.push('\n');
        }
    }
    let mut section = "";
    let mut unused = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line;
            continue;
        }
        if !matches!(section, "[dependencies]" | "[dev-dependencies]") {
            continue;
        }
        let Some(name) = line
            .split(['=', ' '])
            .next()
            .filter(|n| !n.is_empty() && !n.starts_with('#'))
        else {
            continue;
        };
        let ident = name.replace('-', "_");
        let used = sources.match_indices(&ident).any(|(i, _)| {
            let before = sources[..i].chars().next_back();
            let after = sources[i + ident.len()..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
        });
        if !used {
            unused.push(format!("{name} ({section})"));
        }
    }
    assert!(unused.is_empty(), "dependencies no code names: {unused:?}");
}
