//! Composition of a kernel's WGSL from its file and the libraries it imports. The build
//! script includes this file by path to check every kernel before the crate compiles, so it
//! uses nothing outside `std`.
//!
//! Directives are whole-line WGSL comments, so a file stays WGSL to tools that read it:
//! - `// import a, b`: compose libraries `a` and `b` (`shaders/a.wgsl`, `shaders/b.wgsl`)
//!   with this file. A library brings its own imports; each file is composed once.
//! - `// #if cond`, `// #if !cond`, `// #else`, `// #endif` (nestable): keep the lines between
//!   only where `cond` holds (or does not); the conditions are the fields of [`Conditions`],
//!   and `alone`, which holds only in a library composed on its own (not imported): there it
//!   declares what the library expects its importer to declare, so it validates by itself.
//!
//! The parts are the file itself, then [`PRELUDE`], then the imports depth-first in the order
//! they are named (a library straight after its importer, its own imports after it); WGSL
//! resolves module-scope names in any order. Lines a condition leaves out become empty lines,
//! so a line of the text keeps its line number within its part ([`Composed::locate`]).
//! `enable` directives, which WGSL wants before every declaration, are moved to the front.

/// The library composed into every kernel without an import (`shaders/common.wgsl`).
pub const PRELUDE: &str = "common";

/// What a file's `// #if` lines can test. `Default` is the native build on an adapter without
/// subgroups.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Conditions {
    /// Subgroup operations are used (`gpu::Spread::Subgroup`).
    pub subgroup: bool,
    /// The source is for a browser's WebGPU, not for naga: e.g. `enable subgroups;`.
    pub web: bool,
}

impl Conditions {
    /// Every combination, for checks that cover all variants.
    pub const ALL: [Conditions; 4] = [
        Conditions::new(false, false),
        Conditions::new(true, false),
        Conditions::new(false, true),
        Conditions::new(true, true),
    ];

    pub const fn new(subgroup: bool, web: bool) -> Self {
        Self { subgroup, web }
    }

    fn get(&self, name: &str) -> Option<bool> {
        match name {
            "subgroup" => Some(self.subgroup),
            "web" => Some(self.web),
            _ => None,
        }
    }
}

/// A file's place in composed text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    /// Line of the composed text (1-based) holding the file's first line.
    pub first_line: usize,
    pub lines: usize,
}

#[derive(Clone, Debug)]
pub struct Composed {
    pub text: String,
    pub parts: Vec<Part>,
    /// Conditions that some `// #if` of a composed file tests (whether or not it held).
    pub tested: Vec<String>,
}

impl Composed {
    /// The file and line (both 1-based) that line `line` of the text comes from; `None` for
    /// a separator line or a hoisted `enable`.
    pub fn locate(&self, line: usize) -> Option<(&str, usize)> {
        self.parts
            .iter()
            .find(|p| line >= p.first_line && line < p.first_line + p.lines)
            .map(|p| (p.name.as_str(), line - p.first_line + 1))
    }
}

/// A file with its conditions applied.
struct Prepared {
    text: String,
    imports: Vec<(String, usize)>,
    enables: Vec<String>,
}

fn prepare(
    name: &str,
    source: &str,
    cond: Conditions,
    alone: bool,
    tested: &mut Vec<String>,
) -> Result<Prepared, String> {
    let at = |n: usize| format!("shaders/{name}.wgsl:{}", n + 1);
    // One entry per open `#if`: (whether its lines are kept, whether it has seen `#else`).
    let mut stack: Vec<(bool, bool)> = Vec::new();
    let mut out = Prepared {
        text: String::with_capacity(source.len()),
        imports: Vec::new(),
        enables: Vec::new(),
    };
    for (n, line) in source.split_inclusive('\n').enumerate() {
        let comment = line.trim().strip_prefix("//").map(str::trim);
        let kept = stack.iter().all(|s| s.0);
        let mut directive = true;
        if let Some(c) = comment.and_then(|d| d.strip_prefix("#if ")) {
            let c = c.trim();
            let (negate, flag) = c.strip_prefix('!').map_or((false, c), |f| (true, f.trim()));
            let value = if flag == "alone" {
                Some(alone)
            } else {
                cond.get(flag)
            };
            let value = value.ok_or_else(|| {
                format!(
                    "{}: unknown condition `{flag}` (known: subgroup, web, alone)",
                    at(n)
                )
            })?;
            if !tested.iter().any(|t| t == flag) {
                tested.push(flag.to_string());
            }
            stack.push((value != negate, false));
        } else if comment == Some("#else") {
            match stack.last_mut() {
                Some(top) if !top.1 => *top = (!top.0, true),
                _ => return Err(format!("{}: `#else` without an open `#if`", at(n))),
            }
        } else if comment == Some("#endif") {
            stack
                .pop()
                .ok_or_else(|| format!("{}: `#endif` without an open `#if`", at(n)))?;
        } else {
            directive = false;
            if let Some(list) = comment
                .and_then(|d| d.strip_prefix("import "))
                .filter(|_| kept)
            {
                for lib in list.split(',').map(str::trim) {
                    out.imports.push((lib.to_string(), n));
                }
            } else if kept && line.trim_start().starts_with("enable ") {
                out.enables.push(line.trim().to_string());
                out.text.push('\n');
                continue;
            }
        }
        // Directive lines stay (they are comments); lines left out keep their line break.
        if kept || directive {
            out.text.push_str(line);
        } else if line.ends_with('\n') {
            out.text.push('\n');
        }
    }
    if !stack.is_empty() {
        return Err(format!("shaders/{name}.wgsl: an `#if` has no `#endif`"));
    }
    Ok(out)
}

/// Compose `name` (a kernel, or a library on its own) under `cond`. `file` gives a file's
/// source and whether it is a library; only libraries can be imported.
pub fn compose<'a>(
    name: &str,
    file: &dyn Fn(&str) -> Option<(&'a str, bool)>,
    cond: Conditions,
) -> Result<Composed, String> {
    let (source, library) = file(name).ok_or_else(|| format!("no shader named `{name}`"))?;
    let mut tested = Vec::new();
    let mut parts: Vec<(String, Prepared)> = Vec::new();
    // Depth-first: a file, then (pushed in reverse so they pop in order) its imports.
    let mut todo: Vec<(String, Option<(String, usize)>)> = vec![(name.to_string(), None)];
    while let Some((next, from)) = todo.pop() {
        if parts.iter().any(|(done, _)| *done == next) {
            continue;
        }
        let text = if next == name {
            source
        } else {
            match file(&next) {
                Some((text, true)) => text,
                found => {
                    let (by, line) = from.unwrap_or_default();
                    let what = if found.is_some() {
                        "a kernel; only libraries (files whose first line is `// Library: ...`) \
                         can be imported"
                    } else {
                        "not a file in shaders/"
                    };
                    return Err(format!(
                        "shaders/{by}.wgsl:{}: imports `{next}`, which is {what}",
                        line + 1
                    ));
                }
            }
        };
        let prepared = prepare(&next, text, cond, library && parts.is_empty(), &mut tested)?;
        let mut imports: Vec<(String, usize)> = prepared.imports.clone();
        if parts.is_empty() && next != PRELUDE {
            imports.insert(0, (PRELUDE.to_string(), 0));
        }
        for (lib, line) in imports.into_iter().rev() {
            todo.push((lib, Some((next.clone(), line))));
        }
        parts.push((next, prepared));
    }
    let mut enables: Vec<String> = Vec::new();
    for (_, p) in &parts {
        for e in &p.enables {
            if !enables.contains(e) {
                enables.push(e.clone());
            }
        }
    }
    let mut text: String = enables.iter().map(|e| format!("{e}\n")).collect();
    let mut placed = Vec::new();
    for (i, (name, p)) in parts.into_iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        placed.push(Part {
            name,
            first_line: text.matches('\n').count() + 1,
            lines: p.text.lines().count(),
        });
        text.push_str(&p.text);
    }
    Ok(Composed {
        text,
        parts: placed,
        tested,
    })
}
