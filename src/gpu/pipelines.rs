//! Pipelines are compiled once per (shader, entry point, override constants) and shared.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::spread::Spread;
use crate::shaders::{self, ShaderId};

pub struct PipelineCache {
    map: Mutex<HashMap<String, Arc<wgpu::ComputePipeline>>>,
    /// Which `spread` library kernels that use it are composed with.
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
        // Every `ShaderId` comes from the registry, so its source is always there.
        let source = shaders::composed(name, self.spread.library())
            .unwrap_or_else(|| panic!("shader '{name}' has a missing library (src/shaders.rs)"));
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
}
