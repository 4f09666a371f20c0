//! The layering of `src/`, kept by a test: the import graph is read from the sources
//! (`use crate::..`, `use super::..` and inline `crate::`/`super::` paths) and checked against
//! the layer table below, which docs/architecture.md explains.
//!
//! - Every top-level module is in `LAYERS` and imports only modules of lower layers (no
//!   back arrows, hence no circles between top-level modules).
//! - `ONLY` lists modules allowed a narrower set still (`kernels` imports only `gpu`).
//! - Within any folder, the files (and subfolders) import each other without circles.
//!
//! A path is charged to the file that declares the module it names; a `pub use` in a
//! module's file is followed to where the item comes from when that is in the same
//! top-level module, so an item re-exported by a parent counts as an import of the file
//! that defines it. Only `//` comments are skipped, and only `use` declarations that begin
//! a line (as rustfmt writes them) are read.

mod paths;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use paths::{absolute, paths, reexports, resolve, strip_comments, Module};

/// Lowest first. A module may import the modules of the layers before its own.
const LAYERS: &[&[&str]] = &[
    &["util", "shaders", "checkpoint"],
    &["gpu"],
    &["kernels"],
    &["model"],
    &["diffusion", "data", "pictures"],
    &["train", "sample", "quality", "selfcheck"],
    &["finetune", "bench"],
    &["commands"],
    &["cli"],
];

/// Modules that may import only the modules listed.
const ONLY: &[(&str, &[&str])] = &[("kernels", &["gpu"])];

/// An import: the importing file, the module imported, and the path as written.
struct Import {
    file: String,
    to: Module,
    path: String,
}

#[test]
fn the_source_tree_keeps_its_layers() {
    let mut sources = BTreeMap::new();
    read_dir(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src").as_path(),
        &mut sources,
    );
    assert!(
        sources.len() > 50,
        "read only {} files of src/",
        sources.len()
    );
    let problems = check(&sources);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The checker finds what it is for: a circle between two files, and a back arrow.
#[test]
fn a_circle_and_a_back_arrow_are_named() {
    let src = |files: &[(&str, &str)]| {
        files
            .iter()
            .map(|(f, t)| (module_of(f), (format!("src/{f}"), t.to_string())))
            .collect::<BTreeMap<_, _>>()
    };
    let ok = src(&[
        ("gpu/mod.rs", "pub mod a; pub mod b;"),
        ("gpu/a.rs", "use super::b::Thing;"),
        ("gpu/b.rs", "pub struct Thing;"),
        ("kernels/mod.rs", "use crate::gpu::{self, a::X};"),
    ]);
    assert_eq!(check(&ok), Vec::<String>::new());
    let bad = src(&[
        ("gpu/mod.rs", "pub mod a;\npub mod b;\npub use b::Thing;"),
        ("gpu/a.rs", "use super::Thing;"),
        ("gpu/b.rs", "fn f() { crate::gpu::a::g() }"),
        (
            "gpu/c.rs",
            "use crate::kernels::K; // crate::model in a comment",
        ),
        (
            "kernels/mod.rs",
            "use crate::util::{host_rng::HostRng as R};",
        ),
        ("util/mod.rs", "pub mod host_rng;"),
    ]);
    let found = check(&bad).join("\n");
    assert!(found.contains("circle in src/gpu/: a -> b -> a"), "{found}");
    assert!(
        found.contains("src/gpu/c.rs imports crate::kernels::K"),
        "{found}"
    );
    assert!(
        found.contains("src/kernels/mod.rs imports crate::util::host_rng"),
        "{found}"
    );
    assert!(!found.contains("crate::model"), "{found}");
}

fn read_dir(dir: &Path, out: &mut BTreeMap<Module, (String, String)>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            read_dir(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if rel != "lib.rs" && rel != "main.rs" {
                let text = std::fs::read_to_string(&path).unwrap();
                out.insert(module_of(&rel), (format!("src/{rel}"), text));
            }
        }
    }
}

/// `model/graph/mod.rs` and `model/graph.rs` are both the module model::graph.
fn module_of(rel: &str) -> Module {
    let mut m: Module = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if m.last().is_some_and(|l| l == "mod") {
        m.pop();
    }
    m
}

/// Every rule broken, one line each.
fn check(sources: &BTreeMap<Module, (String, String)>) -> Vec<String> {
    let modules: BTreeSet<Module> = sources.keys().cloned().collect();
    let texts: BTreeMap<Module, String> = sources
        .iter()
        .map(|(m, (_, t))| (m.clone(), strip_comments(t)))
        .collect();
    let reexports = reexports(&texts, &modules);
    let mut problems = Vec::new();
    // folder -> (from, to) -> the first import that makes the edge.
    let mut edges: BTreeMap<Module, BTreeMap<(String, String), Import>> = BTreeMap::new();
    for (m, text) in &texts {
        for path in paths(text) {
            let Some(abs) = absolute(m, &path, &modules) else {
                continue;
            };
            let to = resolve(abs, &modules, &reexports);
            let common = m.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if common < m.len() && common < to.len() {
                let import = Import {
                    file: sources[m].0.clone(),
                    to: to.clone(),
                    path: path.join("::"),
                };
                let key = (m[common].clone(), to[common].clone());
                edges
                    .entry(m[..common].to_vec())
                    .or_default()
                    .entry(key)
                    .or_insert(import);
            }
        }
    }
    let layer = |name: &str| LAYERS.iter().position(|l| l.contains(&name));
    let top: BTreeSet<&String> = modules.iter().map(|m| &m[0]).collect();
    for name in top {
        if layer(name).is_none() {
            problems.push(format!(
                "src/{name} is in no layer: add it to LAYERS in tests/layers.rs and to the layer map in docs/architecture.md"
            ));
        }
    }
    for ((from, to), i) in edges.get(&Vec::new()).into_iter().flatten() {
        let (lf, lt) = (layer(from), layer(to));
        let only = ONLY.iter().find(|(m, _)| m == from);
        if let Some((_, allowed)) = only.filter(|(_, a)| !a.contains(&to.as_str())) {
            problems.push(format!(
                "{} imports {} ({}): {from} may import only {}",
                i.file,
                i.path,
                i.to.join("::"),
                allowed.join(", ")
            ));
        } else if let (Some(lf), Some(lt)) = (lf, lt) {
            if lt < lf {
                continue;
            }
            problems.push(format!(
                "back arrow: {} imports {} ({to}, layer {lt}) but {from} is in layer {lf}; move what it needs down, or change LAYERS if the layering itself changed",
                i.file, i.path
            ));
        }
    }
    for (folder, es) in &edges {
        if let Some(circle) = find_circle(es) {
            let dir = folder.iter().map(|f| format!("{f}/")).collect::<String>();
            let by: Vec<String> = circle
                .windows(2)
                .map(|w| {
                    let i = &es[&(w[0].clone(), w[1].clone())];
                    format!("{} uses {}", i.file, i.path)
                })
                .collect();
            problems.push(format!(
                "import circle in src/{dir}: {} ({}); move the shared type into the lower file or a new one",
                circle.join(" -> "),
                by.join("; ")
            ));
        }
    }
    problems
}

/// One circle among the edges (as a closed walk a -> .. -> a), if any.
fn find_circle(edges: &BTreeMap<(String, String), Import>) -> Option<Vec<String>> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in edges.keys() {
        next.entry(a).or_default().push(b);
    }
    fn walk<'a>(
        n: &'a str,
        next: &BTreeMap<&'a str, Vec<&'a str>>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|s| *s == n) {
            let mut c: Vec<String> = stack[at..].iter().map(|s| s.to_string()).collect();
            c.push(n.to_string());
            return Some(c);
        }
        if !done.insert(n) {
            return None;
        }
        stack.push(n);
        for m in next.get(n).into_iter().flatten() {
            if let Some(c) = walk(m, next, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    let starts: Vec<&str> = next.keys().copied().collect();
    starts
        .into_iter()
        .find_map(|s| walk(s, &next, &mut Vec::new(), &mut done))
}
