//! The seed U-Net of docs/design.md section 3, with PyTorch `state_dict` names.
//!
//! `ConvBlock(cin, cout)`: h = x + MLP(v) (MLP = Linear(D, cin) -> ReLU -> Linear(cin, cin)),
//! then Conv3x3 -> BatchNorm -> ReLU -> Conv3x3 -> BatchNorm -> ReLU.
//! x1 = down1(x); x2 = down2(pool(x1)); h = bot1(pool(x2));
//! h = up2(cat(up(h), x2)); h = up1(cat(up(h), x1)); out = Conv1x1(c1, C).

use std::sync::Arc;

use anyhow::{bail, Result};
use serde_json::json;

use super::graph::{Graph, Var};
use super::params::Layout;
use crate::gpu::{Gpu, GpuTensor};
use crate::util::host_rng::HostRng;

#[derive(Clone, Debug, PartialEq)]
pub struct UNetConfig {
    pub image_channels: usize,
    pub image_size: usize,
    pub channels: [usize; 3],
    pub temb_dim: usize,
    /// Classes of the label embedding (0: unconditional, the seed network).
    pub num_classes: usize,
}

impl Default for UNetConfig {
    fn default() -> Self {
        Self {
            image_channels: 1,
            image_size: 28,
            channels: [64, 128, 256],
            temb_dim: 100,
            num_classes: 0,
        }
    }
}

impl UNetConfig {
    pub fn validate(&self) -> Result<()> {
        if self.image_size == 0 || !self.image_size.is_multiple_of(4) {
            bail!(
                "image size {} is not a multiple of 4; the U-Net pools twice by 2 and upsamples back, so use e.g. {}",
                self.image_size,
                (self.image_size / 4).max(1) * 4
            );
        }
        if self.image_channels == 0 || self.channels.contains(&0) || self.temb_dim == 0 {
            bail!(
                "channels and the time-embedding size must be positive (got {:?}, D = {})",
                self.channels,
                self.temb_dim
            );
        }
        Ok(())
    }

    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "image_channels": self.image_channels,
            "image_size": self.image_size,
            "channels": self.channels,
            "temb_dim": self.temb_dim,
            "num_classes": self.num_classes,
        })
    }

    pub fn from_json(v: &serde_json::Value) -> Option<Self> {
        let ch = v.get("channels")?.as_array()?;
        Some(Self {
            image_channels: v.get("image_channels")?.as_u64()? as usize,
            image_size: v.get("image_size")?.as_u64()? as usize,
            channels: [
                ch.first()?.as_u64()? as usize,
                ch.get(1)?.as_u64()? as usize,
                ch.get(2)?.as_u64()? as usize,
            ],
            temb_dim: v.get("temb_dim")?.as_u64()? as usize,
            num_classes: v.get("num_classes").and_then(|c| c.as_u64()).unwrap_or(0) as usize,
        })
    }

    /// (name, cin, cout) of the five blocks.
    pub fn blocks(&self) -> [(&'static str, usize, usize); 5] {
        let [c1, c2, c3] = self.channels;
        let c = self.image_channels;
        [
            ("down1", c, c1),
            ("down2", c1, c2),
            ("bot1", c2, c3),
            ("up2", c3 + c2, c2),
            ("up1", c2 + c1, c1),
        ]
    }
}

/// Trainable tensors (`params` layout) and BatchNorm running statistics (`stats` layout).
pub struct UNetLayout {
    pub params: Layout,
    pub stats: Layout,
    /// Names of the BatchNorm layers, for `num_batches_tracked`.
    pub bn_layers: Vec<String>,
}

impl UNetLayout {
    pub fn new(gpu: &Gpu, cfg: &UNetConfig) -> Self {
        let mut params = Layout::new(gpu);
        let mut stats = Layout::new(gpu);
        let mut bn_layers = Vec::new();
        let d = cfg.temb_dim;
        for (name, cin, cout) in cfg.blocks() {
            params.add(format!("{name}.mlp.0.weight"), &[cin, d]);
            params.add(format!("{name}.mlp.0.bias"), &[cin]);
            params.add(format!("{name}.mlp.2.weight"), &[cin, cin]);
            params.add(format!("{name}.mlp.2.bias"), &[cin]);
            for (conv, bn, ci) in [(0, 1, cin), (3, 4, cout)] {
                params.add(format!("{name}.convs.{conv}.weight"), &[cout, ci, 3, 3]);
                params.add(format!("{name}.convs.{conv}.bias"), &[cout]);
                params.add(format!("{name}.convs.{bn}.weight"), &[cout]);
                params.add(format!("{name}.convs.{bn}.bias"), &[cout]);
                stats.add(format!("{name}.convs.{bn}.running_mean"), &[cout]);
                stats.add(format!("{name}.convs.{bn}.running_var"), &[cout]);
                bn_layers.push(format!("{name}.convs.{bn}"));
            }
        }
        params.add("out.weight", &[cfg.image_channels, cfg.channels[0], 1, 1]);
        params.add("out.bias", &[cfg.image_channels]);
        if cfg.num_classes > 0 {
            // One row per class plus the null label of classifier-free guidance.
            params.add("label_emb.weight", &[cfg.num_classes + 1, d]);
        }
        Self {
            params,
            stats,
            bn_layers,
        }
    }

    /// PyTorch's default initialisation: kaiming-uniform(a = sqrt(5)) for conv and linear
    /// weights, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), the same bound for their biases;
    /// BatchNorm gamma 1, beta 0; running mean 0, running var 1.
    pub fn init(&self, seed: u64) -> (Vec<f32>, Vec<f32>) {
        let mut rng = HostRng::new(seed);
        let mut fan_in = 1usize;
        let params = self
            .params
            .join(|e| {
                let is_bn = e.name.contains(".convs.1.") || e.name.contains(".convs.4.");
                Ok(if e.name == "label_emb.weight" {
                    // nn.Embedding's default: N(0, 1).
                    rng.vec_normal(e.len())
                } else if is_bn {
                    vec![if e.name.ends_with("weight") { 1.0 } else { 0.0 }; e.len()]
                } else {
                    if e.name.ends_with("weight") {
                        fan_in = e.shape[1..].iter().product();
                    }
                    let bound = 1.0 / (fan_in as f32).sqrt();
                    rng.vec_uniform(e.len(), -bound, bound)
                })
            })
            .unwrap();
        let stats = self
            .stats
            .join(|e| {
                Ok(vec![
                    if e.name.ends_with("running_var") {
                        1.0
                    } else {
                        0.0
                    };
                    e.len()
                ])
            })
            .unwrap();
        (params, stats)
    }
}

/// GPU storage of one U-Net: parameters, gradients, Adam moments and running statistics.
pub struct UNet {
    pub cfg: UNetConfig,
    pub layout: UNetLayout,
    pub params: Arc<wgpu::Buffer>,
    pub grads: Arc<wgpu::Buffer>,
    pub adam_m: Arc<wgpu::Buffer>,
    pub adam_v: Arc<wgpu::Buffer>,
    pub stats: Arc<wgpu::Buffer>,
    /// EMA copies of `params` and `stats`, when training keeps one.
    pub ema: Option<(Arc<wgpu::Buffer>, Arc<wgpu::Buffer>)>,
}

impl UNet {
    pub fn new(gpu: &Gpu, cfg: &UNetConfig, seed: u64) -> Result<Self> {
        cfg.validate()?;
        let layout = UNetLayout::new(gpu, cfg);
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

    fn p(&self, g: &Graph, name: &str) -> Var {
        Var {
            val: self.layout.params.view(&self.params, name),
            grad: g.train.then(|| self.layout.params.view(&self.grads, name)),
        }
    }

    fn stat(&self, name: &str) -> GpuTensor {
        self.layout.stats.view(&self.stats, name)
    }

    /// A ConvBlock on cat(x, skip) (up blocks) or on x: h = input + MLP(temb), then twice
    /// conv -> BatchNorm -> ReLU. The add and the concat happen inside the first conv's
    /// input packing (`Graph::conv2d_input`), BatchNorm and ReLU in one op.
    fn conv_block(
        &self,
        g: &mut Graph,
        name: &str,
        x: &Var,
        skip: Option<&Var>,
        temb: &Var,
    ) -> Var {
        let p = |g: &Graph, s: &str| self.p(g, &format!("{name}.{s}"));
        let m = g.linear(temb, &p(g, "mlp.0.weight"), &p(g, "mlp.0.bias"));
        let m = g.relu(&m);
        let m = g.linear(&m, &p(g, "mlp.2.weight"), &p(g, "mlp.2.bias"));
        let bn_relu = |g: &mut Graph, h: &Var, bn: usize| {
            let stat = |s: &str| self.stat(&format!("{name}.convs.{bn}.{s}"));
            let (gamma, beta) = (
                p(g, &format!("convs.{bn}.weight")),
                p(g, &format!("convs.{bn}.bias")),
            );
            g.batchnorm_relu(
                h,
                &gamma,
                &beta,
                &stat("running_mean"),
                &stat("running_var"),
            )
        };
        let h = g.conv2d_input(x, skip, &m, &p(g, "convs.0.weight"), &p(g, "convs.0.bias"));
        let h = bn_relu(g, &h, 1);
        let h = g.conv2d(&h, &p(g, "convs.3.weight"), &p(g, "convs.3.bias"));
        bn_relu(g, &h, 4)
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
        let n = x.shape()[0];
        let mut temb = g.time_embedding(n, t, self.cfg.temb_dim);
        if self.cfg.num_classes > 0 {
            let y = y.expect("a class-conditional U-Net needs labels");
            temb = g.label_embedding(&temb, y, &self.p(g, "label_emb.weight"));
        }
        let x1 = self.conv_block(g, "down1", x, None, &temb);
        let p1 = g.maxpool(&x1);
        let x2 = self.conv_block(g, "down2", &p1, None, &temb);
        let p2 = g.maxpool(&x2);
        let h = self.conv_block(g, "bot1", &p2, None, &temb);
        let u = g.upsample(&h);
        let h = self.conv_block(g, "up2", &u, Some(&x2), &temb);
        let u = g.upsample(&h);
        let h = self.conv_block(g, "up1", &u, Some(&x1), &temb);
        g.conv2d(&h, &self.p(g, "out.weight"), &self.p(g, "out.bias"))
    }
}
