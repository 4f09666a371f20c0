//! Generates the shader registry from the files in `shaders/` (see docs/shader_modules.md):
//! a file whose first line starts with `// Library:` is a library, every other file is a
//! kernel and gets a typed id. Every kernel is composed under every condition here, so a
//! misspelt import or an unbalanced `#if` fails the build with its file and line.
//! It also writes the module lists of the one-file-per-op folders (`build/modules.rs`).

use std::fmt::Write;
use std::path::Path;

#[path = "src/shaders/compose.rs"]
#[allow(dead_code)]
mod compose;
#[path = "build/modules.rs"]
mod modules;

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    modules::write(Path::new(&root));
    let dir = Path::new(&root).join("shaders");
    println!("cargo:rerun-if-changed=shaders");
    println!("cargo:rerun-if-changed=src/shaders/compose.rs");
    let mut files: Vec<(String, String, String, bool)> = std::fs::read_dir(&dir)
        .expect("read shaders/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "wgsl"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_str().unwrap().to_string();
            assert!(
                modules::is_lower_ident(&name),
                "shaders/{name}.wgsl: a shader's file name must be a lower-case Rust identifier"
            );
            let source = std::fs::read_to_string(&p).unwrap();
            let library = source.starts_with("// Library:");
            (name, p.to_str().unwrap().to_string(), source, library)
        })
        .collect();
    files.sort();
    let file = |n: &str| files.iter().find(|f| f.0 == n).map(|f| (f.2.as_str(), f.3));
    for (name, _, _, library) in &files {
        for cond in compose::Conditions::ALL {
            let composed = compose::compose(name, &file, cond)
                .unwrap_or_else(|e| panic!("\n{e}\n(while composing {name} for {cond:?})\n"));
            assert!(
                *library || composed.text.contains("@compute"),
                "shaders/{name}.wgsl is a kernel (its first line is not `// Library: ...`) \
                 but neither it nor its imports declare an `@compute` entry point"
            );
        }
    }
    let mut out = String::from("pub const SHADERS: &[Shader] = &[\n");
    for (name, path, _, library) in &files {
        writeln!(
            out,
            "    Shader {{ name: {name:?}, source: include_str!({path:?}), library: {library} }},"
        )
        .unwrap();
    }
    out.push_str("];\n\n/// One [`ShaderId`] per kernel, named as its file in `shaders/`.\n");
    out.push_str("#[allow(non_upper_case_globals)]\npub mod id {\n    use super::ShaderId;\n");
    for (name, _, _, library) in &files {
        if !library {
            writeln!(out, "    pub const {name}: ShaderId = ShaderId({name:?});").unwrap();
        }
    }
    out.push_str("}\n\n");
    // One type per kernel, for `uniform!` to implement `gpu::uniform::KernelParams` on,
    // and the list of them `gpu::uniform` walks: a kernel no `uniform!` names is a
    // compile error there.
    out.push_str("/// One type per kernel, named as its file: `uniform!` structs name the kernels they are for.\n");
    out.push_str("#[allow(non_camel_case_types)]\npub mod kernel {\n");
    let mut list = String::from("pub const KERNEL_UNIFORMS: &[KernelUniform] = &[\n");
    for (name, _, _, library) in &files {
        if !library {
            writeln!(out, "    pub struct {name};").unwrap();
            writeln!(list, "    of::<kernel::{name}>(id::{name}),").unwrap();
        }
    }
    out.push_str("}\n");
    list.push_str("];\n");
    let dest = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::write(dest.join("shaders.rs"), out).unwrap();
    std::fs::write(dest.join("kernel_uniforms.rs"), list).unwrap();

    // `gpu::bindings::KERNEL_BINDINGS`, one entry per kernel read from the `bindings!`
    // declaration that names it: a kernel none names is a compile error there.
    let mut bound = String::from("pub const KERNEL_BINDINGS: &[Declared] = &[\n");
    for (name, _, _, library) in &files {
        if !library {
            writeln!(bound, "    of::<kernel::{name}>(id::{name}),").unwrap();
        }
    }
    bound.push_str("];\n");
    std::fs::write(dest.join("kernel_bindings.rs"), bound).unwrap();
}
