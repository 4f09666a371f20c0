//! Every shader parses, validates and translates to SPIR-V, MSL and HLSL with naga, so a
//! broken kernel fails with its file and line even on a machine without any GPU adapter; and
//! the SPIR-V of every kernel passes Khronos' `spirv-val` for the Vulkan environments wgpu
//! targets.

use std::io::Write;
use std::process::{Command, Stdio};

use naga::back::spv;
use wgpu_ddpm::kernels::{adam, batchnorm, group_norm, mse};
use wgpu_ddpm::shaders::{self, Composed, Conditions};

#[path = "shaders/bindings.rs"]
mod bindings;
#[path = "shaders/modules.rs"]
mod modules;
#[path = "shaders/names.rs"]
mod names;
#[path = "shaders/uniforms.rs"]
mod uniforms;

/// The override constants a kernel's launcher sets: naga's backends, like wgpu when it builds
/// a pipeline, translate a module only once every override it uses has a value.
fn constants(name: &str) -> &'static [(&'static str, f64)] {
    let parts = shaders::composed(name, Conditions::default())
        .unwrap()
        .parts;
    let uses = |lib: &str| parts.iter().any(|p| p.name == lib);
    if uses("bn_params") {
        batchnorm::CONSTANTS
    } else if uses("group_norm_params") {
        group_norm::CONSTANTS
    } else {
        match name {
            "mse" => mse::CONSTANTS,
            "adam" => adam::CONSTANTS,
            _ => &[],
        }
    }
}

/// A kernel composed under some conditions, validated by naga.
struct Parsed {
    path: String,
    module: naga::Module,
    info: naga::valid::ModuleInfo,
}

/// Where line `line` of a composed kernel comes from, for an error message.
fn blame(c: &Composed, line: Option<u32>) -> String {
    match line.and_then(|l| c.locate(l as usize)) {
        Some((file, l)) => format!("\n(that line is shaders/{file}.wgsl:{l})"),
        None => String::new(),
    }
}

/// Compose, parse and validate `name` under `cond`.
fn parse(name: &str, cond: Conditions) -> Result<Parsed, String> {
    let composed = shaders::composed(name, cond)?;
    let source = &composed.text;
    let path = format!("shaders/{name}.wgsl composed with its imports");
    let module = naga::front::wgsl::parse_str(source).map_err(|e| {
        let line = e.location(source).map(|l| l.line_number);
        e.emit_to_string_with_path(source, &path) + &blame(&composed, line)
    })?;
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        if cond.subgroup {
            naga::valid::Capabilities::SUBGROUP
        } else {
            naga::valid::Capabilities::default()
        },
    )
    .validate(&module)
    .map_err(|e| {
        let line = e.location(source).map(|l| l.line_number);
        e.emit_to_string_with_path(source, &path) + &blame(&composed, line)
    })?;
    if module.entry_points.is_empty() {
        return Err(format!("{path}: no entry point"));
    }
    Ok(Parsed { path, module, info })
}

fn pipeline_constants(name: &str) -> naga::back::PipelineConstants {
    constants(name)
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect()
}

/// Every kernel with each native variant it has: both values of `subgroup` where a file it
/// composes tests that condition.
fn kernel_variants() -> Vec<(&'static str, Conditions)> {
    shaders::kernels()
        .flat_map(|name| {
            let tested = shaders::composed(name, Conditions::default())
                .unwrap()
                .tested;
            let variants: &[bool] = if tested.iter().any(|t| t == "subgroup") {
                &[true, false]
            } else {
                &[false]
            };
            variants
                .iter()
                .map(move |&subgroup| (name, Conditions::new(subgroup, false)))
        })
        .collect()
}

/// Validate and translate `name` composed under `cond`.
fn check(name: &str, cond: Conditions) -> Result<(), String> {
    let Parsed { path, module, info } = parse(name, cond)?;
    let (module, info) = naga::back::pipeline_constants::process_overrides(
        &module,
        &info,
        None,
        &pipeline_constants(name),
    )
    .map_err(|e| format!("{path}: override constants: {e}"))?;
    let (module, info) = (module.as_ref(), info.as_ref());
    let spv = spv::Options {
        lang_version: (1, 3),
        ..Default::default()
    };
    spv::write_vec(module, info, &spv, None).map_err(|e| format!("{path}: SPIR-V: {e}"))?;
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
    let errors: Vec<String> = kernel_variants()
        .into_iter()
        .filter_map(|(name, cond)| check(name, cond).err())
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n\n"));
}

/// The SPIR-V wgpu's Vulkan backend writes depends on the device's Vulkan version (SPIR-V
/// 1.3 for Vulkan 1.1, 1.5 for 1.2, 1.6 for 1.3: wgpu-hal `vulkan/adapter.rs`, after the
/// Vulkan spec's SPIR-V environment appendix). Both ends are checked: a Vulkan 1.1 device
/// (the oldest that runs the Subgroup path; no native workgroup zeroing) and a Vulkan 1.3
/// one like lavapipe and SwiftShader (native zeroing). Options otherwise follow wgpu's,
/// with the stricter bounds-check policy where wgpu picks by device. Debug builds of wgpu
/// also embed the WGSL source (`OpSource` language 10, WGSL), which SPIRV-Tools 2023.1
/// (Debian 12) does not know yet ("Invalid source language operand: 10"), so the modules
/// are checked as a release build writes them.
struct SpirvTarget {
    env: &'static str,
    lang_version: (u8, u8),
    native_zeroing: bool,
}

const SPIRV_TARGETS: [SpirvTarget; 2] = [
    SpirvTarget {
        env: "vulkan1.1",
        lang_version: (1, 3),
        native_zeroing: false,
    },
    SpirvTarget {
        env: "vulkan1.3",
        lang_version: (1, 6),
        native_zeroing: true,
    },
];

/// `spirv-val` from SPIRV-Tools: `$SPIRV_VAL` if set, else the one on PATH.
fn spirv_val() -> String {
    let exe = std::env::var("SPIRV_VAL").unwrap_or_else(|_| "spirv-val".into());
    match Command::new(&exe).arg("--version").output() {
        Ok(out) if out.status.success() => exe,
        _ => panic!(
            "`{exe} --version` failed: this test runs Khronos' SPIR-V validator on every kernel. \
             Install SPIRV-Tools (Debian/Ubuntu: `sudo apt-get install spirv-tools`; it is also \
             in the Vulkan SDK), or point SPIRV_VAL at a spirv-val binary."
        ),
    }
}

/// Run `spirv-val` on `words`; on failure keep the module under `dir` for a look with
/// `spirv-dis`, and return the validator's message.
fn validate_spirv(
    exe: &str,
    target: &SpirvTarget,
    words: &[u32],
    dir: &std::path::Path,
    file: &str,
) -> Result<(), String> {
    let mut child = Command::new(exe)
        .args(["--target-env", target.env, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not run {exe}: {e}"))?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(bytemuck::cast_slice(words))
        .map_err(|e| format!("could not write to {exe}: {e}"))?;
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        return Ok(());
    }
    let kept = dir.join(file);
    std::fs::write(&kept, bytemuck::cast_slice(words)).unwrap();
    Err(format!(
        "{}{}(module kept in {})",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        kept.display()
    ))
}

/// The SPIR-V wgpu would build for each entry point of each kernel, for each target.
#[test]
fn every_kernel_passes_spirv_val() {
    let exe = spirv_val();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("spirv_val_failures");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut errors = Vec::new();
    let mut checked = 0;
    for (name, cond) in kernel_variants() {
        let spread = if cond.subgroup { "subgroup" } else { "plain" };
        let parsed = match parse(name, cond) {
            Ok(p) => p,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        for ep in &parsed.module.entry_points {
            let (module, info) = match naga::back::pipeline_constants::process_overrides(
                &parsed.module,
                &parsed.info,
                Some((ep.stage, &ep.name)),
                &pipeline_constants(name),
            ) {
                Ok(m) => m,
                Err(e) => {
                    errors.push(format!("{}: override constants: {e}", parsed.path));
                    continue;
                }
            };
            for target in &SPIRV_TARGETS {
                let restrict = naga::proc::BoundsCheckPolicy::Restrict;
                let options = spv::Options {
                    lang_version: target.lang_version,
                    flags: spv::WriterFlags::LABEL_VARYINGS | spv::WriterFlags::FORCE_POINT_SIZE,
                    bounds_check_policies: naga::proc::BoundsCheckPolicies {
                        index: restrict,
                        buffer: restrict,
                        image_load: restrict,
                        binding_array: naga::proc::BoundsCheckPolicy::Unchecked,
                    },
                    zero_initialize_workgroup_memory: if target.native_zeroing {
                        spv::ZeroInitializeWorkgroupMemoryMode::Native
                    } else {
                        spv::ZeroInitializeWorkgroupMemoryMode::Polyfill
                    },
                    force_loop_bounding: true,
                    ..Default::default()
                };
                let pipeline = spv::PipelineOptions {
                    shader_stage: ep.stage,
                    entry_point: ep.name.clone(),
                };
                let what = format!(
                    "{} with {spread}, entry point {}, {}",
                    parsed.path, ep.name, target.env
                );
                let words = match spv::write_vec(&module, &info, &options, Some(&pipeline)) {
                    Ok(w) => w,
                    Err(e) => {
                        errors.push(format!("{what}: naga's SPIR-V writer: {e}"));
                        continue;
                    }
                };
                let file = format!("{name}-{spread}-{}-{}.spv", ep.name, target.env);
                if let Err(e) = validate_spirv(&exe, target, &words, &dir, &file) {
                    errors.push(format!("{what}: spirv-val: {e}"));
                }
                checked += 1;
            }
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n\n"));
    // 2 targets x every entry point: a count this low means the loop checked nothing.
    assert!(checked > 100, "only {checked} SPIR-V modules were checked");
}
