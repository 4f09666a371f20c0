//! Every shader parses, validates and translates to SPIR-V, MSL and HLSL with naga, so a
//! broken kernel fails with its file and line even on a machine without any GPU adapter.

use wgpu_ddpm::shaders::{self, LIBRARIES, SHADERS};

fn check(name: &str) -> Result<(), String> {
    let source = shaders::composed(name).unwrap();
    let path = if source.lines().count() > shaders::own_lines(name) && !LIBRARIES.contains(&name) {
        format!("shaders/{name}.wgsl (+ appended libraries)")
    } else {
        format!("shaders/{name}.wgsl")
    };
    let module = naga::front::wgsl::parse_str(&source)
        .map_err(|e| e.emit_to_string_with_path(&source, &path))?;
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::default(),
    )
    .validate(&module)
    .map_err(|e| e.emit_to_string_with_path(&source, &path))?;
    if LIBRARIES.contains(&name) {
        return Ok(());
    }
    if module.entry_points.is_empty() {
        return Err(format!("{path}: no entry point"));
    }
    naga::back::spv::write_vec(&module, &info, &Default::default(), None)
        .map_err(|e| format!("{path}: SPIR-V: {e}"))?;
    for ep in &module.entry_points {
        let pipeline = naga::back::msl::PipelineOptions {
            entry_point: Some((ep.stage, ep.name.clone())),
            ..Default::default()
        };
        naga::back::msl::write_string(&module, &info, &Default::default(), &pipeline)
            .map_err(|e| format!("{path}: MSL ({}): {e}", ep.name))?;
    }
    let mut hlsl = String::new();
    let opts = naga::back::hlsl::Options {
        fake_missing_bindings: true,
        ..Default::default()
    };
    naga::back::hlsl::Writer::new(&mut hlsl, &opts, &Default::default())
        .write(&module, &info, None)
        .map_err(|e| format!("{path}: HLSL: {e}"))?;
    Ok(())
}

#[test]
fn every_shader_validates_and_translates() {
    let errors: Vec<String> = SHADERS.iter().filter_map(|s| check(s.name).err()).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n\n"));
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
