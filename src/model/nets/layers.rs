//! What a network's `forward` calls: one method per PyTorch module, taking the module's
//! name and finding its tensors in the model's buffers.

use std::sync::Arc;

use super::NetConfig;
use crate::gpu::GpuTensor;
use crate::kernels::batchnorm::BnOut;
use crate::model::graph::{Graph, Var};
use crate::model::params::Layout;

/// What the layers read of a model (`network::Model::weights`): its configuration, and its
/// parameters (values and gradients) and BatchNorm statistics with their layouts.
#[derive(Clone, Copy)]
pub struct Weights<'m> {
    pub cfg: &'m NetConfig,
    pub params: &'m Layout,
    pub values: &'m Arc<wgpu::Buffer>,
    pub grads: &'m Arc<wgpu::Buffer>,
    pub stats: &'m Layout,
    pub stat_values: &'m Arc<wgpu::Buffer>,
}

/// A graph being recorded for one model.
pub struct Layers<'g, 'a> {
    pub g: &'g mut Graph<'a>,
    m: Weights<'g>,
}

impl<'g, 'a> Layers<'g, 'a> {
    pub fn new(g: &'g mut Graph<'a>, m: Weights<'g>) -> Self {
        Self { g, m }
    }

    /// The configuration of the model being recorded (borrowed from the model, not from
    /// `self`, so layers can be added while it is held).
    pub fn cfg(&self) -> &'g NetConfig {
        self.m.cfg
    }

    /// The parameter `name` and (in training mode) its gradient.
    pub fn p(&self, name: &str) -> Var {
        let l = self.m.params;
        Var {
            val: l.view(self.m.values, name),
            grad: self.g.train.then(|| l.view(self.m.grads, name)),
        }
    }

    /// The parameter when the network declared it (a bias may be absent).
    fn maybe(&self, name: &str) -> Option<Var> {
        let declared = self.m.params.entries.iter().any(|e| e.name == name);
        declared.then(|| self.p(name))
    }

    fn stat(&self, name: &str) -> GpuTensor {
        self.m.stats.view(self.m.stat_values, name)
    }

    /// nn.Linear over the last dimension.
    pub fn linear(&mut self, name: &str, x: &Var) -> Var {
        let (w, b) = (
            self.p(&format!("{name}.weight")),
            self.p(&format!("{name}.bias")),
        );
        self.g.linear(x, &w, &b)
    }

    /// nn.Conv2d with stride 1 and padding k/2 (k = 1 or 3), with bias.
    pub fn conv(&mut self, name: &str, x: &Var) -> Var {
        let (w, b) = (
            self.p(&format!("{name}.weight")),
            self.p(&format!("{name}.bias")),
        );
        self.g.conv2d(x, &w, &b)
    }

    /// `conv` on x + v[n, c] broadcast over pixels, or on cat(x, skip) + v: the add and the
    /// concat happen inside the conv's input packing.
    pub fn conv_input(&mut self, name: &str, x: &Var, skip: Option<&Var>, v: &Var) -> Var {
        let (w, b) = (
            self.p(&format!("{name}.weight")),
            self.p(&format!("{name}.bias")),
        );
        self.g.conv2d_input(x, skip, v, &w, &b)
    }

    /// nn.Conv2d with any kernel size, stride and padding (bias when declared).
    pub fn conv_strided(&mut self, name: &str, x: &Var, stride: usize, pad: usize) -> Var {
        let (w, b) = (self.p(&format!("{name}.weight")), self.bias(name));
        self.g.conv2d_strided(x, &w, b.as_ref(), stride, pad)
    }

    /// nn.ConvTranspose2d (bias when declared).
    pub fn conv_transpose(
        &mut self,
        name: &str,
        x: &Var,
        stride: usize,
        pad: usize,
        output_pad: usize,
    ) -> Var {
        let (w, b) = (self.p(&format!("{name}.weight")), self.bias(name));
        self.g
            .conv_transpose2d(x, &w, b.as_ref(), stride, pad, output_pad)
    }

    /// nn.GroupNorm(groups, C).
    pub fn group_norm(&mut self, name: &str, groups: usize, x: &Var) -> Var {
        let (gamma, beta) = (
            self.p(&format!("{name}.weight")),
            self.p(&format!("{name}.bias")),
        );
        self.g.group_norm(x, groups, &gamma, &beta)
    }

    /// nn.LayerNorm over the last dimension.
    pub fn layer_norm(&mut self, name: &str, x: &Var) -> Var {
        let (gamma, beta) = (
            self.p(&format!("{name}.weight")),
            self.p(&format!("{name}.bias")),
        );
        self.g.layer_norm(x, &gamma, &beta)
    }

    /// nn.MultiheadAttention(C, heads, batch_first=True) on x [n, L, C] as query, key and
    /// value.
    pub fn self_attention(&mut self, name: &str, heads: usize, x: &Var) -> Var {
        let p = |s: &str| self.p(&format!("{name}.{s}"));
        let (in_w, in_b) = (p("in_proj_weight"), p("in_proj_bias"));
        let (out_w, out_b) = (p("out_proj.weight"), p("out_proj.bias"));
        self.g
            .self_attention(x, heads, &in_w, &in_b, &out_w, &out_b)
    }

    fn bn(&mut self, name: &str, x: &Var, relu: bool) -> Var {
        let (gamma, beta) = (
            self.p(&format!("{name}.weight")),
            self.p(&format!("{name}.bias")),
        );
        let (rm, rv) = (
            self.stat(&format!("{name}.running_mean")),
            self.stat(&format!("{name}.running_var")),
        );
        let out = if relu { BnOut::Relu } else { BnOut::Plain };
        self.g.batchnorm(x, &gamma, &beta, [&rm, &rv], out)
    }

    /// nn.BatchNorm2d.
    pub fn batchnorm(&mut self, name: &str, x: &Var) -> Var {
        self.bn(name, x, false)
    }

    /// nn.BatchNorm2d followed by nn.ReLU, as one op.
    pub fn batchnorm_relu(&mut self, name: &str, x: &Var) -> Var {
        self.bn(name, x, true)
    }

    /// The bias of module `name`, when it has one (`bias=False` convs have none).
    pub fn bias(&self, name: &str) -> Option<Var> {
        self.maybe(&format!("{name}.bias"))
    }
}
