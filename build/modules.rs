//! The module lists of the four folders that hold one file per op (docs/architecture.md,
//! "Adding an op"), generated from the files so that a new op's files declare themselves.
//! Each list is `OUT_DIR/modules_<folder>.rs`, `include!`d by the folder's root file:
//!
//! - `src/kernels/`: every file and folder (a folder holds `mod.rs`) is a `pub mod`;
//! - `src/model/graph/ops/`, `tests/kernels/`, `benches/kernels/`: every file is a `mod`;
//! - `benches/kernels/`: every module whose name does not end in `_support` is a bench
//!   group (it has `pub fn bench(&Bencher)`), listed in `GROUPS` in file-name order.
//!
//! Modules carry `#[path]` with an absolute path: an `include!`d file has no directory of its
//! own for rustc to resolve `mod x;` against. `cargo fmt` does not follow them, so the format
//! check is `scripts/fmt.sh`, which gives rustfmt every tracked `.rs` file.

use std::fmt::Write;
use std::path::Path;

/// (folder, its root file, the visibility of its modules).
const FOLDERS: &[(&str, &str, &str)] = &[
    ("src/kernels", "mod.rs", "pub "),
    ("src/model/graph/ops", "mod.rs", ""),
    ("tests/kernels", "main.rs", ""),
    ("benches/kernels", "main.rs", ""),
];

pub fn write(root: &Path) {
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
    for (folder, root_file, vis) in FOLDERS {
        let dir = root.join(folder);
        let modules = if dir.is_dir() {
            println!("cargo:rerun-if-changed={folder}");
            modules(&dir, folder, root_file)
        } else {
            // A packaged crate may leave tests/ and benches/ out; nothing includes their list.
            Vec::new()
        };
        let mut text = String::new();
        for (name, file) in &modules {
            writeln!(text, "#[path = {file:?}]\n{vis}mod {name};").unwrap();
        }
        if *folder == "benches/kernels" {
            text.push_str("\n/// The bench groups, in file-name order.\n");
            text.push_str("const GROUPS: &[fn(&wgpu_ddpm::bench::Bencher)] = &[\n");
            for (name, _) in modules.iter().filter(|(n, _)| !n.ends_with("_support")) {
                writeln!(text, "    {name}::bench,").unwrap();
            }
            text.push_str("];\n");
        }
        let name = format!("modules_{}.rs", folder.replace('/', "_"));
        std::fs::write(out.join(name), text).unwrap();
    }
}

/// (module name, absolute path of its file), sorted by name.
fn modules(dir: &Path, folder: &str, root_file: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {folder}/: {e}")) {
        let path = entry.unwrap().path();
        let file_name = path.file_name().unwrap().to_string_lossy().into_owned();
        // Editors' lock and backup files (`.#x.rs`, `.x.rs.swp`).
        if file_name.starts_with('.') || file_name == root_file {
            continue;
        }
        let (name, file) = if path.is_dir() {
            let file = path.join("mod.rs");
            if !file.is_file() {
                assert!(
                    !dir.join(format!("{file_name}.rs")).exists(),
                    "{folder}/{file_name}.rs has its submodules in {folder}/{file_name}/: \
                     move it to {folder}/{file_name}/mod.rs (a module loaded by #[path] \
                     looks for its submodules beside its own file)"
                );
                continue;
            }
            (file_name.clone(), file)
        } else if let Some(stem) = file_name.strip_suffix(".rs") {
            (stem.to_string(), path.clone())
        } else {
            continue;
        };
        assert!(
            is_lower_ident(&name),
            "{folder}/{file_name}: every file here is a module, so its name must be a \
             lower-case Rust identifier"
        );
        let file = file
            .to_str()
            .expect("a source path that is UTF-8")
            .to_string();
        out.push((name, file));
    }
    out.sort();
    out
}

/// A lower-case Rust identifier (`conv2d_backward`): what a module or a shader file may be named.
pub fn is_lower_ident(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
