//! Every shader parses, validates and translates to SPIR-V, MSL and HLSL with naga, so a
//! broken kernel fails with its file and line even on a machine without any GPU adapter.

use wgpu_ddpm::kernels::{adam, batchnorm, group_norm, mse};
use wgpu_ddpm::shaders::{self, LIBRARIES, SHADERS};

/// The override constants a kernel's launcher sets: naga's backends, like wgpu when it builds
/// a pipeline, translate a module only once every override it uses has a value.
fn constants(name: &str) -> &'static [(&'static str, f64)] {
    let deps = shaders::get(name).unwrap().deps;
    if deps.contains(&"bn_params") {
        batchnorm::CONSTANTS
    } else if deps.contains(&"group_norm_params") {
        group_norm::CONSTANTS
    } else {
        match name {
            "mse" => mse::CONSTANTS,
            "adam" => adam::CONSTANTS,
            _ => &[],
        }
    }
}

/// Validate and translate `name` composed with the `spread` library given.
fn check(name: &str, spread: &str) -> Result<(), String> {
    let source = shaders::composed(name, spread).unwrap();
    let subgroups =
        spread == "spread_subgroup" && shaders::uses_spread(name) || name == "spread_subgroup";
    let path = if source.lines().count() > shaders::own_lines(name) && !LIBRARIES.contains(&name) {
        format!("shaders/{name}.wgsl (+ appended libraries)")
    } else {
        format!("shaders/{name}.wgsl")
    };
    let module = naga::front::wgsl::parse_str(&source)
        .map_err(|e| e.emit_to_string_with_path(&source, &path))?;
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        if subgroups {
            naga::valid::Capabilities::SUBGROUP
        } else {
            naga::valid::Capabilities::default()
        },
    )
    .validate(&module)
    .map_err(|e| e.emit_to_string_with_path(&source, &path))?;
    if LIBRARIES.contains(&name) {
        return Ok(());
    }
    if module.entry_points.is_empty() {
        return Err(format!("{path}: no entry point"));
    }
    let values: naga::back::PipelineConstants = constants(name)
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    let (module, info) =
        naga::back::pipeline_constants::process_overrides(&module, &info, None, &values)
            .map_err(|e| format!("{path}: override constants: {e}"))?;
    let (module, info) = (module.as_ref(), info.as_ref());
    let spv = naga::back::spv::Options {
        lang_version: (1, 3),
        ..Default::default()
    };
    naga::back::spv::write_vec(module, info, &spv, None)
        .map_err(|e| format!("{path}: SPIR-V: {e}"))?;
    for ep in &module.entry_points {
        let pipeline = naga::back::msl::PipelineOptions {
            entry_point: Some((ep.stage, ep.name.clone())),
            ..Default::default()
        };
        let msl = naga::back::msl::Options {
            lang_version: (2, 3),
            ..Default::default()
        };
        naga::back::msl::write_string(module, info, &msl, &pipeline)
            .map_err(|e| format!("{path}: MSL ({}): {e}", ep.name))?;
    }
    let mut hlsl = String::new();
    let opts = naga::back::hlsl::Options {
        fake_missing_bindings: true,
        shader_model: naga::back::hlsl::ShaderModel::V6_0,
        ..Default::default()
    };
    naga::back::hlsl::Writer::new(&mut hlsl, &opts, &Default::default())
        .write(module, info, None)
        .map_err(|e| format!("{path}: HLSL: {e}"))?;
    Ok(())
}

#[test]
fn every_shader_validates_and_translates() {
    // Kernels that use `spread` are checked with each of its two libraries. Libraries are
    // checked inside the kernels that append them (some use the kernel's `p`).
    let errors: Vec<String> = SHADERS
        .iter()
        .filter(|s| !LIBRARIES.contains(&s.name))
        .flat_map(|s| {
            let variants: &[&str] = if shaders::uses_spread(s.name) {
                &["spread_subgroup", "spread_plain"]
            } else {
                &["spread_plain"]
            };
            variants.iter().filter_map(|v| check(s.name, v).err())
        })
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n\n"));
}

/// The libraries, by name: removing or renaming one must be a deliberate change here too.
#[test]
fn the_libraries_are_the_expected_ones() {
    let mut libs = LIBRARIES.to_vec();
    libs.sort_unstable();
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
            "conv2d_weight_params",
            "denoise_coef",
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
            "spread_plain",
            "spread_subgroup",
            "workgroup_sum"
        ]
    );
}

#[test]
fn every_library_is_used_by_a_kernel() {
    for lib in LIBRARIES {
        let used = *lib == "common"
            || SHADERS.iter().any(|s| {
                s.deps.contains(lib) || (lib.starts_with("spread_") && s.deps.contains(&"spread"))
            });
        assert!(
            used,
            "library {lib} is appended to no kernel, so nothing validates it"
        );
    }
}

#[test]
fn every_shader_file_is_registered() {
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        assert!(
            shaders::get(&name).is_some(),
            "{} is not listed in src/shaders.rs",
            path.display()
        );
    }
}
