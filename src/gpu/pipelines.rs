//! Pipelines are compiled once per (shader, entry point, override constants) and shared; their
//! layouts come from the kernels' `bindings!` declarations, built once per list.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::bindings;
use super::spread::Spread;
use crate::shaders::{self, ShaderId};

/// A compiled entry point and the layout its bind groups are made with.
#[derive(Clone)]
pub struct Pipeline {
    pub pipeline: Arc<wgpu::ComputePipeline>,
    pub bind_group_layout: Arc<wgpu::BindGroupLayout>,
}

/// A list of a declaration as wgpu objects.
struct Layout {
    bind_group: Arc<wgpu::BindGroupLayout>,
    pipeline: wgpu::PipelineLayout,
}

pub struct PipelineCache {
    map: Mutex<HashMap<String, Pipeline>>,
    /// By kernel and place of the list in its declaration.
    layouts: Mutex<HashMap<(ShaderId, usize), Arc<Layout>>>,
    /// Which branch of `shaders/spread.wgsl` kernels that import it are composed with.
    spread: Spread,
}

impl PipelineCache {
    pub fn new(spread: Spread) -> Self {
        Self {
            map: Mutex::default(),
            layouts: Mutex::default(),
            spread,
        }
    }

    pub fn len(&self) -> usize {
        self.map.lock().unwrap().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The compute pipeline for `shader`'s `entry`, built on first use, with the layout of
    /// bind group 0 that the kernel's `bindings!` declaration gives this entry point: the
    /// uniform at 0, then the declared bindings (tests/shaders/bindings.rs checks them
    /// against the shader). Panics if the declaration has no list for `entry`.
    #[track_caller]
    pub fn get(
        &self,
        device: &wgpu::Device,
        shader: ShaderId,
        entry: &str,
        constants: &[(&str, f64)],
    ) -> Pipeline {
        let name = shader.name();
        let key = format!("{name}:{entry}:{constants:?}");
        if let Some(p) = self.map.lock().unwrap().get(&key) {
            return p.clone();
        }
        let layout = self.layout(device, shader, entry);
        let source = self.source(name);
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(name),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(&key),
            layout: Some(&layout.pipeline),
            module: &module,
            entry_point: Some(entry),
            compilation_options: wgpu::PipelineCompilationOptions {
                constants,
                zero_initialize_workgroup_memory: false,
            },
            cache: None,
        });
        let p = Pipeline {
            pipeline: Arc::new(pipeline),
            bind_group_layout: layout.bind_group.clone(),
        };
        self.map.lock().unwrap().insert(key, p.clone());
        p
    }

    #[track_caller]
    fn layout(&self, device: &wgpu::Device, shader: ShaderId, entry: &str) -> Arc<Layout> {
        let (i, list) = bindings::expect_list(shader, entry);
        if let Some(l) = self.layouts.lock().unwrap().get(&(shader, i)) {
            return l.clone();
        }
        let label = format!("{}#{i}", shader.name());
        let bind_group = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some(&label),
            entries: &bindings::layout_entries(list),
        });
        let pipeline = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some(&label),
            bind_group_layouts: &[Some(&bind_group)],
            immediate_size: 0,
        });
        let l = Arc::new(Layout {
            bind_group: Arc::new(bind_group),
            pipeline,
        });
        self.layouts.lock().unwrap().insert((shader, i), l.clone());
        l
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
