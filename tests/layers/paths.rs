//! Reading a source file's imports: `use` trees and inline paths, resolved to the module
//! (file) they name.

use std::collections::{BTreeMap, BTreeSet};

/// A module's path from the crate root (`["model", "graph"]`).
pub type Module = Vec<String>;

/// The text without `//` comments (doc comments name paths they do not import).
pub fn strip_comments(text: &str) -> String {
    text.lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path that starts at `crate`, `super` or `self`, from `use` trees (expanded) and
/// from paths written inline.
pub fn paths(text: &str) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = uses(text).into_iter().map(|(p, _, _)| p).collect();
    for start in ["crate::", "super::"] {
        for (i, _) in text.match_indices(start) {
            let before = text[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == ':') {
                continue;
            }
            let rest = &text[i..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            let p: Vec<String> = rest[..end]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            out.push(p);
        }
    }
    out
}

/// The `use` declarations: each leaf path, whether it is re-exported (`pub`), and the name
/// it is imported as.
pub fn uses(text: &str) -> Vec<(Vec<String>, bool, String)> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("use ") {
        // Only declarations: `use` first on its line, or after a visibility.
        let line_start = text[..i].rfind('\n').map_or(0, |n| n + 1);
        let lead = text[line_start..i].trim();
        if !(lead.is_empty() || lead.starts_with("pub") && !lead.contains(' ')) {
            continue;
        }
        let public = !lead.is_empty();
        let Some(end) = text[i..].find(';') else {
            continue;
        };
        let tree = text[i + 4..i + end].replace(" as ", "#");
        let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
        for leaf in expand(&tree) {
            let (path, alias) = leaf.split_once('#').unwrap_or((&leaf, ""));
            let mut p: Vec<String> = path.split("::").map(String::from).collect();
            if p.last().is_some_and(|l| l == "self") {
                p.pop();
            }
            let name = if alias.is_empty() {
                p.last().cloned().unwrap_or_default()
            } else {
                alias.to_string()
            };
            out.push((p, public, name));
        }
    }
    out
}

/// `a::{b, c::{d, e}}` -> `a::b`, `a::c::d`, `a::c::e`.
pub fn expand(tree: &str) -> Vec<String> {
    let Some(open) = tree.find('{') else {
        return vec![tree.to_string()];
    };
    let prefix = &tree[..open];
    let close = tree.rfind('}').filter(|&c| c > open).unwrap_or(tree.len());
    let inner = &tree[open + 1..close];
    let (mut parts, mut depth, mut cur) = (Vec::new(), 0, String::new());
    for c in inner.chars() {
        match c {
            ',' if depth == 0 => parts.push(std::mem::take(&mut cur)),
            '{' | '}' => {
                depth += if c == '{' { 1 } else { -1 };
                cur.push(c);
            }
            _ => cur.push(c),
        }
    }
    parts.push(cur);
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(p))
        .map(|leaf| format!("{prefix}{leaf}"))
        .collect()
}

/// The path from the crate root, or None when it is not in this crate.
pub fn absolute(m: &Module, p: &[String], modules: &BTreeSet<Module>) -> Option<Module> {
    let first = p.first()?;
    let mut base: Module = match first.as_str() {
        "crate" => return Some(p[1..].to_vec()),
        "self" => m.clone(),
        "super" => m.clone(),
        _ => {
            // A child module named without `self::` (2018 paths).
            let mut child = m.clone();
            child.push(first.clone());
            return modules
                .contains(&child)
                .then(|| [m.clone(), p.to_vec()].concat());
        }
    };
    let mut rest = &p[1..];
    if first == "super" {
        base.pop();
        while rest.first().is_some_and(|s| s == "super") {
            base.pop();
            rest = &rest[1..];
        }
    }
    Some([base, rest.to_vec()].concat())
}

/// (module, name) -> the absolute path of what that module's `pub use` re-exports as `name`.
pub fn reexports(
    texts: &BTreeMap<Module, String>,
    modules: &BTreeSet<Module>,
) -> BTreeMap<(Module, String), Module> {
    let mut out = BTreeMap::new();
    for (m, text) in texts {
        for (p, public, name) in uses(text) {
            if let Some(abs) = absolute(m, &p, modules).filter(|_| public) {
                out.insert((m.clone(), name), abs);
            }
        }
    }
    out
}

/// The module (file) a path names: its longest prefix that is a module, following
/// re-exports within a top-level module.
pub fn resolve(
    mut abs: Module,
    modules: &BTreeSet<Module>,
    reexports: &BTreeMap<(Module, String), Module>,
) -> Module {
    for _ in 0..8 {
        let k = (0..=abs.len())
            .rev()
            .find(|&k| k == 0 || modules.contains(&abs[..k].to_vec()))
            .unwrap_or(0);
        match abs
            .get(k)
            .and_then(|n| reexports.get(&(abs[..k].to_vec(), n.clone())))
        {
            // A module's public face re-exported from another top-level module is that
            // module's (kernels use `gpu::ShaderId`, which gpu takes from shaders).
            Some(target) if *target != abs[..=k] && target[0] == abs[0] => {
                abs = [target.clone(), abs[k + 1..].to_vec()].concat();
            }
            _ => return abs[..k].to_vec(),
        }
    }
    abs
}
