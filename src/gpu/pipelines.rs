//! Pipelines are compiled once per (shader, entry point, override constants) and shared.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::spread::Spread;
use crate::shaders::{self, ShaderId};

pub struct PipelineCache {
    map: Mutex<HashMap<String, Arc<wgpu::ComputePipeline>>>,
    /// Which branch of `shaders/spread.wgsl` kernels that import it are composed with.
    spread: Spread,
}

impl PipelineCache {
    pub fn new(spread: Spread) -> Self {
        Self {
            map: Mutex::default(),
            spread,
        }
    }

    pub fn len(&self) -> usize {
        self.map.lock().unwrap().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The compute pipeline for `shader`'s `entry`, built on first use. Bind group 0 layout
    /// is derived from the shader, so every binding a shader declares must be used.
    pub fn get(
        &self,
        device: &wgpu::Device,
        shader: ShaderId,
        entry: &str,
        constants: &[(&str, f64)],
    ) -> Arc<wgpu::ComputePipeline> {
        let name = shader.name();
        let key = format!("{name}:{entry}:{constants:?}");
        if let Some(p) = self.map.lock().unwrap().get(&key) {
            return p.clone();
        }
        let source = self.source(name);
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(name),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(&key),
            layout: None,
            module: &module,
            entry_point: Some(entry),
            compilation_options: wgpu::PipelineCompilationOptions {
                constants,
                zero_initialize_workgroup_memory: false,
            },
            cache: None,
        });
        let p = Arc::new(pipeline);
        self.map.lock().unwrap().insert(key, p.clone());
        p
    }

    /// The kernel's WGSL for this adapter. build.rs composed every kernel under every
    /// condition, so this cannot fail.
    fn source(&self, name: &str) -> String {
        let cond = shaders::Conditions {
            subgroup: self.spread == Spread::Subgroup,
            web: cfg!(target_arch = "wasm32"),
        };
        shaders::composed(name, cond)
            .unwrap_or_else(|e| panic!("shader '{name}': {e}"))
            .text
    }
}
