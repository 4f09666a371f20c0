//! Seed 002's `SimpleUNet` (MNIST, T = 300): t/T broadcast as an extra input channel, then
//! four 3x3 convs 2 -> 32 -> 64 -> 32 -> 1 with ReLU between them (`net.0` .. `net.6`, an
//! nn.Sequential). `channels` holds the three hidden widths [32, 64, 32]; the seed
//! hard-codes 28x28 in its expand, the port takes the input's size.

use anyhow::Result;

use super::{checks, Activations, Declare, Layers, Net, NetConfig};
use crate::gpu::GpuTensor;
use crate::kernels::time_embedding::TimeEncoding;
use crate::model::graph::Var;

pub fn defaults() -> (Vec<usize>, usize) {
    (vec![32, 64, 32], 1)
}

pub fn validate(cfg: &NetConfig) -> Result<()> {
    let three = cfg.channels.len() == 3;
    checks::widths(cfg, three, "three hidden widths (e.g. 32,64,32)")?;
    checks::unconditional(cfg, "has no label input")
}

/// (name, cin, cout) of the four convs.
fn convs(cfg: &NetConfig) -> [(&'static str, usize, usize); 4] {
    let (c, h) = (cfg.image_channels, &cfg.channels);
    [
        ("net.0", c + 1, h[0]),
        ("net.2", h[0], h[1]),
        ("net.4", h[1], h[2]),
        ("net.6", h[2], c),
    ]
}

/// Each conv's output and its ReLU, the concatenated input and x0 / x_t / eps.
pub fn activations(cfg: &NetConfig) -> Activations {
    let s2 = (cfg.image_size * cfg.image_size) as u64;
    let widest = *cfg.channels.iter().max().unwrap() as u64;
    let c = cfg.image_channels as u64;
    let hidden: u64 = cfg.channels.iter().map(|&w| 2 * w as u64).sum();
    Activations {
        largest: widest * s2,
        total: (hidden + 2 * (c + 1) + 4 * c) * s2,
    }
}

pub fn declare(cfg: &NetConfig, d: &mut Declare) {
    for (name, cin, cout) in convs(cfg) {
        d.conv(name, cin, cout, 3, true);
    }
}

pub fn forward(l: &mut Layers, x: &Var, t: &GpuTensor, _y: Option<&GpuTensor>) -> Var {
    let (cfg, s) = (l.cfg(), x.shape().to_vec());
    let frac =
        l.g.time_encoding(s[0], t, 1, TimeEncoding::Fraction { t_max: cfg.t_max });
    let zeros = l.g.input(l.g.gpu.zeros(&[s[0], 1, s[2], s[3]]));
    let t_plane = l.g.broadcast_add(&zeros, &frac);
    let mut h = l.g.concat(x, &t_plane);
    for (i, (name, _, _)) in convs(cfg).into_iter().enumerate() {
        h = l.conv(name, &h);
        if i < 3 {
            h = l.g.relu(&h);
        }
    }
    h
}

/// This network's entry in the registry (`nets/mod.rs`).
pub const NET: Net = Net {
    about: "SimpleUNet (four 3x3 convs, t/T as an input channel); preset mnist-t300",
    seed_image: (1, 28),
    cpu_channels: &[32, 64, 32],
    defaults,
    validate,
    activations,
    declare,
    forward,
};
