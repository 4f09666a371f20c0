//! A network's configuration and its GPU storage. The networks themselves (the seeds'
//! own, one file each) live in `nets/`; each is a `declare` (tensors under PyTorch
//! `state_dict` names, with PyTorch's initialisation; `nets/declare.rs`) and a `forward`
//! that records onto the tape (`nets/layers.rs`).

use std::sync::Arc;

use anyhow::Result;

use super::graph::{Graph, Var};
pub use super::nets::NetConfig;
use super::nets::{self, Declare, Inits, Layers};
use super::params::Layout;
use crate::gpu::{Gpu, GpuTensor};

/// Which network: the seeds' own, named by the tutorial they come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NetKind {
    /// The seed U-Net of docs/design.md section 3 (ConvBlocks with a time MLP, maxpool,
    /// bilinear upsampling).
    Seed000,
    /// `DiffusionUNet`: stages with a strided conv down and a transposed conv up.
    Seed001,
    /// `SimpleUNet`: four 3x3 convs on the image plus a t/T channel.
    Seed002,
    /// The Diffusion-Models-pytorch U-Net: DoubleConv with GroupNorm and GELU, self-attention.
    Seed003,
    /// DownBlock/UpBlock with a dense bottleneck and t/T embeddings.
    Seed004,
}

impl NetKind {
    pub const ALL: [NetKind; 5] = [
        NetKind::Seed000,
        NetKind::Seed001,
        NetKind::Seed002,
        NetKind::Seed003,
        NetKind::Seed004,
    ];

    pub fn name(self) -> &'static str {
        match self {
            NetKind::Seed000 => "seed000",
            NetKind::Seed001 => "seed001",
            NetKind::Seed002 => "seed002",
            NetKind::Seed003 => "seed003",
            NetKind::Seed004 => "seed004",
        }
    }

    /// One line for `info`: what the network is and the preset that trains it.
    pub fn about(self) -> &'static str {
        match self {
            NetKind::Seed000 => "the seed U-Net (ConvBlocks, time MLP, maxpool, bilinear up); presets mnist and none",
            NetKind::Seed001 => "DiffusionUNet (strided conv down, transposed conv up, BatchNorm); preset single48",
            NetKind::Seed002 => "SimpleUNet (four 3x3 convs, t/T as an input channel); preset mnist-t300",
            NetKind::Seed003 => "Diffusion-Models-pytorch U-Net (GroupNorm, GELU, self-attention); preset folder64",
            NetKind::Seed004 => "DownBlock/UpBlock U-Net with a dense bottleneck and t/T MLPs; preset fashion16",
        }
    }

    /// The image shape (channels, side) of the seed's own data.
    pub fn seed_image(self) -> (usize, usize) {
        match self {
            NetKind::Seed000 | NetKind::Seed002 => (1, 28),
            NetKind::Seed001 => (3, 48),
            NetKind::Seed003 => (3, 64),
            NetKind::Seed004 => (1, 16),
        }
    }

    pub fn from_name(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|k| k.name()).collect();
                anyhow::anyhow!("unknown network '{s}'; choose one of {}", names.join(", "))
            })
    }
}

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
        let mut l = Layers::new(g, self);
        nets::forward(&mut l, x, t, y)
    }
}
