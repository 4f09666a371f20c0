//! The module system (src/shaders/compose.rs): imports, conditions, and that no file uses a
//! name it neither declares nor imports.

use wgpu_ddpm::shaders::{self, compose, Conditions};

/// Compose `name` from in-memory files: (name, source); a library's source starts with
/// `// Library:` as in shaders/.
fn compose_files(
    files: &[(&'static str, &'static str)],
    name: &str,
    cond: Conditions,
) -> Result<compose::Composed, String> {
    let file = |n: &str| {
        files
            .iter()
            .find(|f| f.0 == n)
            .map(|f| (f.1, f.1.starts_with("// Library:")))
    };
    compose::compose(name, &file, cond)
}

/// Parse and validate WGSL with naga; the error as naga writes it.
fn validate(source: &str, subgroup: bool) -> Result<(), String> {
    let module = naga::front::wgsl::parse_str(source).map_err(|e| e.emit_to_string(source))?;
    let caps = if subgroup {
        naga::valid::Capabilities::SUBGROUP
    } else {
        naga::valid::Capabilities::default()
    };
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), caps)
        .validate(&module)
        .map_err(|e| e.emit_to_string(source))?;
    Ok(())
}

const COMMON: (&str, &str) = ("common", "// Library: prelude\nconst WG: u32 = 256u;\n");
const LIB: (&str, &str) = (
    "lib",
    "// Library: imports another\n// import deeper\nfn twice(v: u32) -> u32 { return v * 2u; }\n",
);
const DEEPER: (&str, &str) = (
    "deeper",
    "// Library: the end of the chain\nfn three() -> u32 { return 3u; }\n",
);

/// A library's imports come with it, after it; the prelude comes first; line numbers of
/// every part are kept.
#[test]
fn imports_are_transitive_and_ordered() {
    let kernel = (
        "k",
        "// import lib\n@compute @workgroup_size(1)\nfn main() { _ = twice(three()) + WG; }\n",
    );
    let c = compose_files(&[COMMON, LIB, DEEPER, kernel], "k", Conditions::default()).unwrap();
    let names: Vec<&str> = c.parts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["k", "common", "lib", "deeper"]);
    assert!(
        c.text.starts_with(kernel.1),
        "the kernel's own lines come first"
    );
    let line = c
        .text
        .lines()
        .position(|l| l.starts_with("fn three"))
        .unwrap()
        + 1;
    assert_eq!(c.locate(line), Some(("deeper", 2)));
    validate(&c.text, false).unwrap();
}

/// The check the module system exists for: a kernel using a library it does not import is
/// rejected, naming the identifier (here `three`, which only `deeper` declares).
#[test]
fn a_name_that_is_not_imported_is_rejected() {
    let kernel = (
        "k",
        "@compute @workgroup_size(1)\nfn main() { _ = three(); }\n",
    );
    let c = compose_files(&[COMMON, DEEPER, kernel], "k", Conditions::default()).unwrap();
    let err = validate(&c.text, false).unwrap_err();
    assert!(err.contains("three"), "{err}");
}

#[test]
fn bad_imports_and_conditions_are_clear_errors() {
    let cases: [(&str, &str); 5] = [
        (
            "// import nope\n",
            "shaders/k.wgsl:1: imports `nope`, which is not a file",
        ),
        ("// import other\n", "imports `other`, which is a kernel"),
        (
            "// #if gpu\n// #endif\n",
            "shaders/k.wgsl:1: unknown condition `gpu`",
        ),
        ("// #if web\n", "an `#if` has no `#endif`"),
        (
            "// #else\n",
            "shaders/k.wgsl:1: `#else` without an open `#if`",
        ),
    ];
    for (source, expected) in cases {
        let kernel: &'static str = Box::leak(source.to_string().into_boxed_str());
        let other = ("other", "@compute @workgroup_size(1)\nfn main() {}\n");
        let err =
            compose_files(&[COMMON, other, ("k", kernel)], "k", Conditions::default()).unwrap_err();
        assert!(err.contains(expected), "{source:?}: got {err:?}");
    }
}

/// Conditions pick lines; what they leave out stays as empty lines; `enable` moves first.
#[test]
fn conditions_select_lines_and_hoist_enables() {
    let lib = (
        "lib",
        "// Library: x\n// #if subgroup\n// #if web\nenable subgroups;\n// #endif\n\
         const K: u32 = 1u;\n// #else\nconst K: u32 = 2u;\n// #endif\n",
    );
    let kernel = (
        "k",
        "// import lib\n@compute @workgroup_size(1)\nfn main() { _ = K; }\n",
    );
    let files = [COMMON, lib, kernel];
    for cond in Conditions::ALL {
        let c = compose_files(&files, "k", cond).unwrap();
        let k = if cond.subgroup { "1u" } else { "2u" };
        assert!(c.text.contains(&format!("const K: u32 = {k};")));
        assert_eq!(c.text.matches("const K").count(), 1);
        assert_eq!(
            c.text.starts_with("enable subgroups;\n"),
            cond.subgroup && cond.web
        );
        assert_eq!(c.tested, ["subgroup", "web"]);
        let lib_part = c.parts.iter().find(|p| p.name == "lib").unwrap();
        assert_eq!(lib_part.lines, lib.1.lines().count());
    }
}

/// The browser build of a subgroup kernel enables the extension; the native one does not
/// (naga rejects the directive), and both are the same file.
#[test]
fn the_web_switch_enables_subgroups() {
    let web = shaders::composed("conv2d", Conditions::new(true, true)).unwrap();
    assert!(web.text.starts_with("enable subgroups;\n"));
    let native = shaders::composed("conv2d", Conditions::new(true, false)).unwrap();
    assert!(!native.text.contains("enable subgroups"));
    validate(&native.text, true).unwrap();
    let plain = shaders::composed("conv2d", Conditions::new(false, true)).unwrap();
    assert!(!plain.text.contains("subgroupShuffle") && !plain.text.contains("enable "));
}

/// Every library, composed on its own with its imports, validates: it declares or imports
/// every name it uses, and what it expects from its importer is declared in its
/// `// #if alone` block (which only a library composed on its own keeps).
#[test]
fn every_library_validates_on_its_own() {
    let mut errors = Vec::new();
    for lib in shaders::libraries() {
        for subgroup in [false, true] {
            let c = shaders::composed(lib, Conditions::new(subgroup, false)).unwrap();
            if let Err(e) = validate(&c.text, subgroup) {
                errors.push(format!(
                    "shaders/{lib}.wgsl on its own (subgroup {subgroup}):\n{e}"
                ));
            }
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n\n"));
}

/// The libraries, by name: removing or renaming one must be a deliberate change here too.
#[test]
fn the_libraries_are_the_expected_ones() {
    let libs: Vec<&str> = shaders::libraries().collect();
    assert_eq!(
        libs,
        [
            "activation",
            "activation_backward",
            "attention_texels",
            "bn_params",
            "common",
            "concat_params",
            "conv2d_acc",
            "conv2d_geom_lib",
            "conv2d_geom_weight_params",
            "conv2d_thin_input",
            "conv2d_weight_params",
            "denoise_coef",
            "dpm_x0",
            "erf",
            "grid_1d",
            "grid_pairs",
            "group_norm_params",
            "group_norm_plane_pass",
            "layer_norm_params",
            "layer_norm_row_pass",
            "linear_backward_params",
            "maxpool_window",
            "norm_backward_io",
            "norm_forward_io",
            "norm_moments",
            "pool_params",
            "rng",
            "segments",
            "spread",
            "workgroup_sum"
        ]
    );
}

#[test]
fn every_library_is_used_by_a_kernel() {
    for lib in shaders::libraries() {
        let used = shaders::kernels().any(|k| {
            let parts = shaders::composed(k, Conditions::default()).unwrap().parts;
            parts.iter().any(|p| p.name == lib)
        });
        assert!(used, "library {lib} is imported by no kernel");
    }
}

#[test]
fn the_kernel_bench_names_every_library() {
    let bench = include_str!("../../benches/kernels/main.rs");
    for lib in shaders::libraries() {
        assert!(
            bench.contains(&format!(" {lib},")) || bench.contains(&format!(" {lib} ")),
            "benches/kernels/main.rs does not name the library {lib} in its header"
        );
    }
}
