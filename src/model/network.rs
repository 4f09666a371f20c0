//! A network's GPU storage. The networks themselves (the seeds' own, one file each, and
//! their `NetKind` and `NetConfig`) live in `nets/`; each is a `declare` (tensors under
//! PyTorch `state_dict` names, with PyTorch's initialisation; `nets/declare.rs`) and a
//! `forward` that records onto the tape (`nets/layers.rs`). This module imports `nets`,
//! never the other way round: the networks see a model only as `nets::Weights`.

use std::sync::Arc;

use anyhow::Result;

use super::graph::{Graph, Var};
use super::nets::{self, Declare, Inits, Layers, Weights};
pub use super::nets::{NetConfig, NetKind};
use super::params::Layout;
use crate::gpu::{Gpu, GpuTensor};
use crate::kernels::prediction::Prediction;

/// Trainable tensors (`params` layout) and BatchNorm running statistics (`stats` layout),
/// with how each is initialised.
pub struct NetLayout {
    pub params: Layout,
    pub stats: Layout,
    /// Names of the BatchNorm layers, for `num_batches_tracked`.
    pub bn_layers: Vec<String>,
    inits: Inits,
}

impl NetLayout {
    pub fn new(gpu: &Gpu, cfg: &NetConfig) -> Self {
        Self::declared(cfg, Declare::new(gpu))
    }

    /// The tensors' names and shapes without a GPU (offsets unaligned): what a checkpoint
    /// is checked against before any buffer is allocated.
    pub fn unaligned(cfg: &NetConfig) -> Self {
        Self::declared(cfg, Declare::unaligned())
    }

    fn declared(cfg: &NetConfig, mut decl: Declare) -> Self {
        nets::declare(cfg, &mut decl);
        let (params, stats, bn_layers, inits) = decl.finish();
        Self {
            params,
            stats,
            bn_layers,
            inits,
        }
    }

    /// Host values of `params` and `stats` as PyTorch initialises them (see
    /// `nets::Declare`), drawn from one generator in declaration order.
    pub fn init(&self, seed: u64) -> (Vec<f32>, Vec<f32>) {
        self.inits.draw(&self.params, &self.stats, seed)
    }
}

/// GPU storage of one network: parameters, gradients, Adam moments and running statistics.
pub struct Model {
    pub cfg: NetConfig,
    pub layout: NetLayout,
    pub params: Arc<wgpu::Buffer>,
    pub grads: Arc<wgpu::Buffer>,
    pub adam_m: Arc<wgpu::Buffer>,
    pub adam_v: Arc<wgpu::Buffer>,
    pub stats: Arc<wgpu::Buffer>,
    /// EMA copies of `params` and `stats`, when training keeps one.
    pub ema: Option<(Arc<wgpu::Buffer>, Arc<wgpu::Buffer>)>,
    /// What the output means (eps, x0 or v): set by training and by checkpoint loading,
    /// read by the samplers, `eval` and `finetune`.
    pub prediction: Prediction,
}

impl Model {
    pub fn new(gpu: &Gpu, cfg: &NetConfig, seed: u64) -> Result<Self> {
        cfg.validate()?;
        let layout = NetLayout::new(gpu, cfg);
        let net = Self {
            cfg: cfg.clone(),
            params: layout.params.alloc(gpu, "params"),
            grads: layout.params.alloc(gpu, "grads"),
            adam_m: layout.params.alloc(gpu, "adam_m"),
            adam_v: layout.params.alloc(gpu, "adam_v"),
            stats: layout.stats.alloc(gpu, "bn_stats"),
            ema: None,
            prediction: Prediction::Eps,
            layout,
        };
        let (p, s) = net.layout.init(seed);
        gpu.write(&net.layout.params.whole(&net.params), &p);
        gpu.write(&net.layout.stats.whole(&net.stats), &s);
        Ok(net)
    }

    /// Allocate the EMA buffers, starting from the current weights; returns their views.
    pub fn enable_ema(&mut self, gpu: &Gpu) -> (GpuTensor, GpuTensor) {
        let p = self.layout.params.alloc(gpu, "ema_params");
        let s = self.layout.stats.alloc(gpu, "ema_stats");
        let mut prog = crate::gpu::Program::new();
        prog.copy(
            &self.layout.params.whole(&self.params),
            &self.layout.params.whole(&p),
        );
        prog.copy(
            &self.layout.stats.whole(&self.stats),
            &self.layout.stats.whole(&s),
        );
        prog.submit(gpu);
        let views = (self.layout.params.whole(&p), self.layout.stats.whole(&s));
        self.ema = Some((p, s));
        views
    }

    /// What the networks' layers read of this model.
    pub fn weights(&self) -> Weights<'_> {
        Weights {
            cfg: &self.cfg,
            params: &self.layout.params,
            values: &self.params,
            grads: &self.grads,
            stats: &self.layout.stats,
            stat_values: &self.stats,
        }
    }

    pub fn param_count(&self) -> usize {
        self.layout.params.count()
    }

    /// Record eps_theta(x, t): `x` is [n, C, H, W], `t` a u32 tensor [n] of timesteps.
    pub fn forward(&self, g: &mut Graph, x: &Var, t: &GpuTensor) -> Var {
        self.forward_cond(g, x, t, None)
    }

    /// eps_theta(x, t, y) with class labels `y` (u32 [n]; `num_classes` is the null label).
    pub fn forward_cond(
        &self,
        g: &mut Graph,
        x: &Var,
        t: &GpuTensor,
        y: Option<&GpuTensor>,
    ) -> Var {
        let mut l = Layers::new(g, self.weights());
        nets::forward(&mut l, x, t, y)
    }
}
