//! Every kernel of the registry through the browser's WGSL compiler: the module's
//! compilation messages, then a pipeline per entry point inside an error scope, built with
//! the bind group layout its `bindings!` declaration gives (the layout the page runs with),
//! so the browser also validates the declarations against the shaders.

use wasm_bindgen::JsValue;
use wgpu_ddpm::gpu::{bindings, Gpu};
use wgpu_ddpm::shaders::{self, Conditions};

pub async fn all(gpu: &Gpu) -> Result<String, JsValue> {
    let device = &gpu.device;
    let cond = Conditions::new(false, true);
    let (mut kernels, mut pipelines, mut lines) = (0, 0, Vec::new());
    for declared in bindings::KERNEL_BINDINGS {
        let name = declared.kernel.name();
        let text = shaders::composed(name, cond)
            .map_err(|e| JsValue::from_str(&format!("{name}: {e}")))?
            .text;
        let parsed = naga::front::wgsl::parse_str(&text)
            .map_err(|e| JsValue::from_str(&format!("{name}: naga: {e}")))?;
        kernels += 1;
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(name),
            source: wgpu::ShaderSource::Wgsl(text.as_str().into()),
        });
        for m in module.get_compilation_info().await.messages {
            if m.message_type == wgpu::CompilationMessageType::Error {
                lines.push(format!("{name}: {}", m.message));
            }
        }
        // Overrides without a default get 1, which every workgroup size and loop bound accepts.
        let names: Vec<String> = (parsed.overrides.iter())
            .filter(|(_, o)| o.init.is_none())
            .filter_map(|(_, o)| o.name.clone())
            .collect();
        let constants: Vec<(&str, f64)> = names.iter().map(|n| (n.as_str(), 1.0)).collect();
        for ep in &parsed.entry_points {
            let Some(list) = bindings::select(declared.lists, &ep.name) else {
                lines.push(format!(
                    "{name}: no `bindings!` list for entry point {}",
                    ep.name
                ));
                continue;
            };
            let group = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some(name),
                entries: &bindings::layout_entries(declared.lists[list].bindings),
            });
            let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(name),
                bind_group_layouts: &[Some(&group)],
                immediate_size: 0,
            });
            let _pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(name),
                layout: Some(&layout),
                module: &module,
                entry_point: Some(&ep.name),
                compilation_options: wgpu::PipelineCompilationOptions {
                    constants: &constants,
                    zero_initialize_workgroup_memory: false,
                },
                cache: None,
            });
            pipelines += 1;
        }
        if let Some(e) = scope.pop().await {
            lines.push(format!("{name}: {e}"));
        }
    }
    lines.push(format!(
        "{kernels} kernels, {pipelines} pipelines, {} failed",
        lines.len()
    ));
    Ok(lines.join("\n"))
}
