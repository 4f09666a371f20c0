//! No WGSL file uses a name that a library declares unless it imports that library itself
//! (or declares the name, or it is in the `common` prelude). The resolver composes a
//! library's imports with it, so naga alone would accept a kernel that leans on its
//! imports' imports; this check reads the files one by one instead.
//!
//! It reads WGSL lexically: module-scope `fn`, `struct`, `const`, `override`, `alias` and
//! `var` names are declarations; function parameters and `let`/`var`/`const` inside a
//! function are local to it; struct member names and names after `.` or `@` are not uses.
//! Lines in a library's `// #if alone` block declare what the library expects its importer
//! to declare: the library may use those names, but they are not its declarations.

use std::collections::{BTreeMap, BTreeSet};

use wgpu_ddpm::shaders::{self, compose::PRELUDE};

/// What one file declares and uses.
#[derive(Default)]
struct Names {
    /// Module-scope names outside `#if alone` blocks.
    declared: BTreeSet<String>,
    /// Module-scope names inside `#if alone` blocks: expected from the importer.
    expected: BTreeSet<String>,
    /// Every name the file uses, with the first line (1-based) that uses it.
    used: BTreeMap<String, usize>,
    /// The libraries named on its `// import` lines, under any condition.
    imports: BTreeSet<String>,
}

/// (token, line, whether the line is in an `#if alone` block). Numbers and punctuation
/// other than `{}()<>:.@;,=` are dropped.
fn tokens(source: &str, imports: &mut BTreeSet<String>) -> Vec<(String, usize, bool)> {
    let mut out = Vec::new();
    // One entry per open `#if`: (tests `alone`, negated, past `#else`).
    let mut stack: Vec<(bool, bool, bool)> = Vec::new();
    for (n, line) in source.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(d) = trimmed.strip_prefix("//").map(str::trim) {
            if let Some(c) = d.strip_prefix("#if ") {
                let c = c.trim();
                let negated = c.starts_with('!');
                stack.push((c.trim_start_matches('!').trim() == "alone", negated, false));
            } else if d == "#else" {
                if let Some(top) = stack.last_mut() {
                    top.2 = true;
                }
            } else if d == "#endif" {
                stack.pop();
            } else if let Some(list) = d.strip_prefix("import ") {
                imports.extend(list.split(',').map(|s| s.trim().to_string()));
            }
            continue;
        }
        let alone = stack.iter().any(|&(a, neg, els)| a && (neg == els));
        let code = line.split("//").next().unwrap();
        let mut chars = code.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c.is_ascii_alphabetic() || c == '_' {
                let mut end = i + 1;
                while let Some(&(j, d)) = chars.peek() {
                    if !(d.is_ascii_alphanumeric() || d == '_') {
                        break;
                    }
                    end = j + 1;
                    chars.next();
                }
                out.push((code[i..end].to_string(), n + 1, alone));
            } else if c.is_ascii_digit() {
                // A number with its suffix or exponent: 1u, 0x1f, 1.5e-3f.
                while let Some(&(_, d)) = chars.peek() {
                    if !(d.is_ascii_alphanumeric() || d == '.' || d == '_') {
                        break;
                    }
                    chars.next();
                }
            } else if "{}()<>:.@;,=".contains(c) {
                out.push((c.to_string(), n + 1, alone));
            }
        }
    }
    out
}

fn is_ident(t: &str) -> bool {
    t.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
}

fn names(source: &str) -> Names {
    let mut names = Names::default();
    let toks = tokens(source, &mut names.imports);
    let tok = |i: usize| toks.get(i).map_or("", |t| t.0.as_str());
    // Open braces: whether each is a struct body.
    let mut braces: Vec<bool> = Vec::new();
    let mut parens = 0usize;
    let mut locals: BTreeSet<String> = BTreeSet::new();
    let mut i = 0;
    while i < toks.len() {
        let (t, line, alone) = (&toks[i].0, toks[i].1, toks[i].2);
        let prev = if i > 0 { tok(i - 1) } else { "" };
        match t.as_str() {
            "{" => braces.push(prev_struct(&toks, i)),
            "}" => {
                braces.pop();
                if braces.is_empty() {
                    locals.clear();
                }
            }
            "(" => parens += 1,
            ")" => parens = parens.saturating_sub(1),
            "fn" | "struct" | "const" | "override" | "alias" | "var" | "let" => {
                // `var<storage, read>`: the name follows the address space.
                let mut j = i + 1;
                if tok(j) == "<" {
                    while j < toks.len() && tok(j) != ">" {
                        j += 1;
                    }
                    j += 1;
                }
                let name = tok(j).to_string();
                if braces.is_empty() && t != "let" {
                    let set = if alone {
                        &mut names.expected
                    } else {
                        &mut names.declared
                    };
                    set.insert(name);
                } else {
                    locals.insert(name);
                }
                i = j + 1;
                if t == "fn" {
                    // Parameters: `name:` inside the parameter list.
                    let mut depth = 0;
                    while i < toks.len() {
                        match tok(i) {
                            "(" => depth += 1,
                            ")" => depth -= 1,
                            ":" if depth == 1 => {
                                locals.insert(tok(i - 1).to_string());
                            }
                            _ => {}
                        }
                        if depth == 0 && tok(i) == ")" {
                            break;
                        }
                        i += 1;
                    }
                }
                continue;
            }
            _ if is_ident(t) => {
                let member = braces.last() == Some(&true) && tok(i + 1) == ":" && parens == 0;
                if prev != "." && prev != "@" && !member && !locals.contains(t) {
                    names.used.entry(t.clone()).or_insert(line);
                }
            }
            _ => {}
        }
        i += 1;
    }
    names
}

/// Whether the `{` at `i` opens a struct body (`struct Name {`).
fn prev_struct(toks: &[(String, usize, bool)], i: usize) -> bool {
    i >= 2 && toks[i - 2].0 == "struct"
}

/// Every use of a library's name by a file that neither declares it (or expects it, for a
/// library's `#if alone` block), nor imports the library directly, nor gets it from the
/// prelude. `files` are (name, source); a library's source starts with `// Library:`.
fn undeclared_uses(files: &[(&str, &str)]) -> Vec<String> {
    let all: BTreeMap<&str, (Names, bool)> = files
        .iter()
        .map(|(n, s)| (*n, (names(s), s.starts_with("// Library:"))))
        .collect();
    let prelude = all.get(PRELUDE).map(|(n, _)| &n.declared);
    let mut errors = Vec::new();
    for (file, (n, _)) in &all {
        for (name, line) in &n.used {
            let visible = n.declared.contains(name)
                || n.expected.contains(name)
                || prelude.is_some_and(|p| p.contains(name))
                || n.imports.iter().any(|i| {
                    all.get(i.as_str())
                        .is_some_and(|(l, _)| l.declared.contains(name))
                });
            if visible {
                continue;
            }
            let from: Vec<String> = all
                .iter()
                .filter(|(l, (ln, lib))| *lib && l != &file && ln.declared.contains(name))
                .map(|(l, _)| format!("shaders/{l}.wgsl"))
                .collect();
            if !from.is_empty() {
                let verb = if from.len() == 1 {
                    "declares"
                } else {
                    "declare"
                };
                errors.push(format!(
                    "shaders/{file}.wgsl:{line} uses `{name}`, which {} {verb}, without \
                     importing it",
                    from.join(" and ")
                ));
            }
        }
    }
    errors
}

#[test]
fn every_file_imports_what_it_uses() {
    let files: Vec<(&str, &str)> = shaders::SHADERS
        .iter()
        .map(|s| (s.name, s.source))
        .collect();
    let errors = undeclared_uses(&files);
    assert!(
        errors.is_empty(),
        "{}\nAdd the library to the file's `// import` line: a library's own imports are \
         composed with it, but every file names each library it uses.",
        errors.join("\n")
    );
}

/// A kernel that uses a name its import's import declares fails, naming the file, the line,
/// the name and the library; locals, parameters, members and `#if alone` blocks do not.
#[test]
fn a_name_from_an_import_of_an_import_is_rejected() {
    let common = ("common", "// Library: prelude\nconst WG: u32 = 256u;\n");
    let deeper = (
        "deeper",
        "// Library: d\nstruct Plane { lane: u32 }\nfn three() -> u32 { return 3u; }\n\
         // #if alone\nvar<private> q: u32;\n// #endif\n",
    );
    let lib = (
        "lib",
        "// Library: l\n// import deeper\nfn twice(v: u32) -> u32 { return v * three() + q; }\n\
         // #if alone\nvar<private> q: u32;\n// #endif\n",
    );
    let kernel = (
        "k",
        "// import lib\nvar<private> q: u32;\n@compute @workgroup_size(WG)\n\
         fn main(@builtin(local_invocation_index) three: u32) {\n\
         \x20   let lane = twice(three);\n    let pl = Plane(lane);\n    _ = pl.lane + q;\n}\n",
    );
    let errors = undeclared_uses(&[common, deeper, lib, kernel]);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with("shaders/k.wgsl:6 uses `Plane`, which shaders/deeper.wgsl declares"),
        "{}",
        errors[0]
    );
    let fixed = ("k", kernel.1.replacen("lib\n", "lib, deeper\n", 1));
    assert!(undeclared_uses(&[common, deeper, lib, (fixed.0, &fixed.1)]).is_empty());
}
