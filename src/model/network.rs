//! A network's configuration and its GPU storage. The networks themselves (the seeds'
//! own, one file each) live in `nets/`; each is a `declare` (tensors under PyTorch
//! `state_dict` names, with PyTorch's initialisation; `nets/declare.rs`) and a `forward`
//! that records onto the tape (`nets/layers.rs`).

use std::sync::Arc;

use anyhow::{bail, Result};
use serde_json::json;

use super::graph::{Graph, Var};
use super::nets::{self, Declare, Inits, Layers};
use super::params::Layout;
use crate::gpu::{Gpu, GpuTensor};
use crate::kernels::prediction::Prediction;

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

/// What a network needs to be built. `channels` means what each network's file says (the
/// seed U-Net: its three widths); `t_max` is the T that networks fed t/T divide by.
#[derive(Clone, Debug, PartialEq)]
pub struct NetConfig {
    pub net: NetKind,
    pub image_channels: usize,
    pub image_size: usize,
    pub channels: Vec<usize>,
    pub temb_dim: usize,
    /// Classes of the label embedding (0: unconditional).
    pub num_classes: usize,
    pub t_max: usize,
}

impl Default for NetConfig {
    fn default() -> Self {
        Self {
            net: NetKind::Seed000,
            image_channels: 1,
            image_size: 28,
            channels: vec![64, 128, 256],
            temb_dim: 100,
            num_classes: 0,
            t_max: 1000,
        }
    }
}

impl NetConfig {
    /// The network's defaults (its seed's widths and embedding size) at this image shape.
    pub fn for_net(net: NetKind, image_channels: usize, image_size: usize) -> Self {
        let (channels, temb_dim) = nets::defaults(net);
        Self {
            net,
            image_channels,
            image_size,
            channels,
            temb_dim,
            ..Self::default()
        }
    }

    pub fn validate(&self) -> Result<()> {
        if self.image_channels == 0 || self.channels.contains(&0) || self.temb_dim == 0 {
            bail!(
                "channels and the time-embedding size must be positive (got {:?}, D = {})",
                self.channels,
                self.temb_dim
            );
        }
        if self.t_max == 0 {
            bail!("T must be positive");
        }
        nets::validate(self)
    }

    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "net": self.net.name(),
            "image_channels": self.image_channels,
            "image_size": self.image_size,
            "channels": self.channels,
            "temb_dim": self.temb_dim,
            "num_classes": self.num_classes,
            "t_max": self.t_max,
        })
    }

    /// Checkpoints written before `net` and `t_max` were recorded hold a seed U-Net
    /// trained with T = 1000 (the only network and T the metadata could describe).
    pub fn from_json(v: &serde_json::Value) -> Option<Self> {
        let net = match v.get("net").and_then(|n| n.as_str()) {
            Some(n) => NetKind::from_name(n).ok()?,
            None => NetKind::Seed000,
        };
        let channels = v
            .get("channels")?
            .as_array()?
            .iter()
            .map(|c| c.as_u64().map(|c| c as usize))
            .collect::<Option<Vec<_>>>()?;
        let get = |k: &str| v.get(k).and_then(|c| c.as_u64()).map(|c| c as usize);
        Some(Self {
            net,
            image_channels: get("image_channels")?,
            image_size: get("image_size")?,
            channels,
            temb_dim: get("temb_dim")?,
            num_classes: get("num_classes").unwrap_or(0),
            t_max: get("t_max").unwrap_or(1000),
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
