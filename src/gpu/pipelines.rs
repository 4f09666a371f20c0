//! Pipelines are compiled once per (shader, entry point, override constants) and shared.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use super::spread::Spread;
use super::uniform::{self, Uniform};
use crate::shaders::{self, ShaderId};

pub struct PipelineCache {
    map: Mutex<HashMap<String, Arc<wgpu::ComputePipeline>>>,
    /// (kernel, Rust type) pairs whose uniform layouts `check_uniform` has compared.
    checked: Mutex<HashSet<(&'static str, &'static str)>>,
    /// Which branch of `shaders/spread.wgsl` kernels that import it are composed with.
    spread: Spread,
}

impl PipelineCache {
    pub fn new(spread: Spread) -> Self {
        Self {
            map: Mutex::default(),
            checked: Mutex::default(),
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

    /// Panics unless `P` matches the uniform at binding 0 of `shader` field by field (see
    /// `gpu::uniform`); each (kernel, type) pair is compared once.
    pub fn check_uniform<P: Uniform>(&self, shader: ShaderId) {
        let key = (shader.name(), std::any::type_name::<P>());
        if self.checked.lock().unwrap().contains(&key) {
            return;
        }
        let source = self.source(key.0);
        let module = naga::front::wgsl::parse_str(&source)
            .unwrap_or_else(|e| panic!("{}", e.emit_to_string(&source)));
        let size = std::mem::size_of::<P>();
        if let Err(e) = uniform::check(key.0, &module, key.1, P::FIELDS, size) {
            panic!("{e}");
        }
        self.checked.lock().unwrap().insert(key);
    }
}
