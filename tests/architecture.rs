//! Checks of the code's shape that a reviewer would otherwise do by eye: no import circles
//! between the modules of a crate (ARCHITECTURE.md, "Checking the structure").
//!
//! A module depends on another when its source names it (`crate::other::…`, `use
//! crate::{other, …}`, or `super::other` from a top-level module); the same holds among the
//! files of a directory module (`search/index.rs` naming `super::shards`). Comments and
//! in-file `#[cfg(test)]` modules do not count: tests may reach anywhere. A circle is a set of
//! modules each reachable from the others (a strongly connected component of more than one).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Circles that exist today and are being taken apart (issue 20). The test fails when a
/// circle not listed here appears, and when a listed one is gone, so the list stays true.
const KNOWN_CIRCLES: &[&str] = &[];

/// The crates checked, by their source folder.
const CRATES: &[&str] = &["generator/src", "sync-server/src", "src"];

#[test]
fn no_import_circles_between_modules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Each circle, with the dependencies inside it (what to cut).
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for krate in CRATES {
        let src = root.join(krate);
        for (scope, graph) in graphs(&src) {
            for circle in circles(&graph) {
                let edges = circle
                    .iter()
                    .flat_map(|from| {
                        graph[from]
                            .iter()
                            .filter(|to| circle.contains(to))
                            .map(move |to| format!("{from} -> {to}"))
                    })
                    .collect();
                found.insert(format!("{krate}/{scope}: {}", circle.join(", ")), edges);
            }
        }
    }
    let known: BTreeSet<&str> = KNOWN_CIRCLES.iter().copied().collect();
    let new: BTreeMap<&String, &Vec<String>> = found
        .iter()
        .filter(|(c, _)| !known.contains(c.as_str()))
        .collect();
    let gone: Vec<&&str> = known.iter().filter(|c| !found.contains_key(**c)).collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "import circles between modules:\n  new (break them: move the shared item to the module \
         both depend on, or down a layer), with the dependencies inside each: {new:#?}\n  listed \
         in KNOWN_CIRCLES but gone (remove them from the list): {gone:#?}"
    );
}

#[test]
fn the_circle_finder_finds_circles() {
    // The checker itself must be able to fail: a -> b -> c -> a is one circle, d alone none.
    let mut g: Graph = BTreeMap::new();
    for (from, to) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")] {
        g.entry(from.into()).or_default().insert(to.into());
    }
    g.entry("d".into()).or_default();
    let found = circles(&g);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0], vec!["a", "b", "c"]);
    let text =
        "use crate::{alpha::X, beta::{Y, Z}};\nfn f() { crate::gamma::g(); super::delta::d() }";
    let names = named_after(text, "crate::");
    assert_eq!(names, ["alpha", "beta", "gamma"].map(String::from).into());
    assert_eq!(
        named_after(text, "super::"),
        ["delta"].map(String::from).into()
    );
}

type Graph = BTreeMap<String, BTreeSet<String>>;

/// One dependency graph per scope: the crate's top-level modules ("crate"), and the files of
/// each directory module among themselves ("search", "roster", ...).
fn graphs(src: &Path) -> BTreeMap<String, Graph> {
    let mut out: BTreeMap<String, Graph> = BTreeMap::new();
    let top = modules_in(src);
    let top_names: BTreeSet<String> = top.keys().cloned().collect();
    for (name, files) in &top {
        let node = out
            .entry("crate".into())
            .or_default()
            .entry(name.clone())
            .or_default();
        for file in files {
            let text = code_of(file);
            let mut named = named_after(&text, "crate::");
            if file.parent() == Some(src) {
                named.extend(named_after(&text, "super::"));
            }
            node.extend(
                named
                    .into_iter()
                    .filter(|m| m != name && top_names.contains(m)),
            );
        }
    }
    for name in top.keys() {
        let dir = src.join(name);
        if !dir.is_dir() {
            continue;
        }
        let children = modules_in(&dir);
        let child_names: BTreeSet<String> = children.keys().cloned().collect();
        let graph = out.entry(name.clone()).or_default();
        for (child, files) in &children {
            let node = graph.entry(child.clone()).or_default();
            for file in files {
                let text = code_of(file);
                let mut named = named_after(&text, &format!("crate::{name}::"));
                if file.parent() == Some(dir.as_path()) {
                    named.extend(named_after(&text, "super::"));
                }
                node.extend(
                    named
                        .into_iter()
                        .filter(|m| m != child && child_names.contains(m)),
                );
            }
        }
    }
    out
}

/// The modules declared by files in `dir`: `x.rs` and `x/` (all files below it) are module
/// `x`; `lib.rs`, `main.rs` and `mod.rs` are the folder's own root, and `tests.rs` a test module.
fn modules_in(dir: &Path) -> BTreeMap<String, Vec<PathBuf>> {
    let mut out: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else {
            continue;
        };
        if path.is_dir() {
            out.entry(stem).or_default().extend(rust_files_below(&path));
        } else if path.extension().is_some_and(|e| e == "rs")
            && !["lib", "main", "mod", "tests"].contains(&stem.as_str())
        {
            out.entry(stem).or_default().push(path);
        }
    }
    out
}

fn rust_files_below(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs")
                && p.file_stem().is_some_and(|s| s != "tests")
            {
                files.push(p);
            }
        }
    }
    files
}

/// A file's code without comments and without its in-file test module.
fn code_of(file: &Path) -> String {
    let text = std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    let mut code = String::with_capacity(text.len());
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod "))
        {
            break;
        }
        let without_comment = match trimmed.find("//") {
            Some(0) => "",
            _ => line,
        };
        code.push_str(without_comment);
        code.push('\n');
    }
    code
}

/// The first path segment after each `prefix` in `text`, including each item of a braced
/// group (`crate::{a::X, b}` names `a` and `b`).
fn named_after(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().last();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // e.g. `my_crate::`, not `crate::`
        }
        if let Some(group) = rest.strip_prefix('{') {
            for item in top_level_items(group) {
                let first: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !first.is_empty() && first != "self" {
                    names.insert(first);
                }
            }
        } else {
            let first: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !first.is_empty() {
                names.insert(first);
            }
        }
    }
    names
}

/// The comma-separated items of a braced group up to its closing brace.
fn top_level_items(group: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items
}

/// The strongly connected components of more than one module (Tarjan), each sorted.
fn circles(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        let graph = s.graph;
        for w in graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out.sort();
    s.out
}
