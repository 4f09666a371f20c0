//! The seed U-Net of docs/design.md section 3 (seed 000), with PyTorch `state_dict` names.
//!
//! `ConvBlock(cin, cout)`: h = x + MLP(v) (MLP = Linear(D, cin) -> ReLU -> Linear(cin, cin)),
//! then Conv3x3 -> BatchNorm -> ReLU -> Conv3x3 -> BatchNorm -> ReLU.
//! x1 = down1(x); x2 = down2(pool(x1)); h = bot1(pool(x2));
//! h = up2(cat(up(h), x2)); h = up1(cat(up(h), x1)); out = Conv1x1(c1, C).
//! `channels` holds the three widths [c1, c2, c3].

use anyhow::Result;

use super::{checks, Activations, Declare, Layers, Net, NetConfig};
use crate::gpu::GpuTensor;
use crate::model::graph::Var;

pub fn defaults() -> (Vec<usize>, usize) {
    (vec![64, 128, 256], 100)
}

pub fn validate(cfg: &NetConfig) -> Result<()> {
    let three = cfg.channels.len() == 3;
    checks::widths(
        cfg,
        three,
        "three numbers c1,c2,c3 as --channels (e.g. 64,128,256)",
    )?;
    checks::image_multiple(cfg, 4, "pools twice by 2 and upsamples back")
}

/// Per image: the largest activation is the first concat (c1 + c2 channels at full size).
/// The total bounds the forward activations: per block its input and six block-sized
/// tensors (two convs, BatchNorms and ReLUs; fused kernels store fewer), the pools,
/// upsamples and channel concatenations (materialised or packed for a conv), the output and
/// the x0 / x_t / eps inputs.
pub fn activations(cfg: &NetConfig) -> Activations {
    let s2 = (cfg.image_size * cfg.image_size) as u64;
    let [c1, c2, c3] = [0, 1, 2].map(|i| cfg.channels[i] as u64);
    let c = cfg.image_channels as u64;
    let res = [s2, s2 / 4, s2 / 16, s2 / 4, s2];
    let blocks: u64 = blocks(cfg)
        .iter()
        .zip(res)
        .map(|(&(_, cin, cout), r)| (cin as u64 + 6 * cout as u64) * r)
        .sum();
    let pools = c1 * s2 / 4 + c2 * s2 / 16;
    let ups = c3 * s2 / 4 + c2 * s2;
    let concats = (c3 + c2) * s2 / 4 + (c2 + c1) * s2;
    Activations {
        largest: (c1 + c2) * s2,
        total: blocks + pools + ups + concats + 4 * c * s2,
    }
}

/// (name, cin, cout) of the five blocks.
pub fn blocks(cfg: &NetConfig) -> [(&'static str, usize, usize); 5] {
    let [c1, c2, c3] = [cfg.channels[0], cfg.channels[1], cfg.channels[2]];
    let c = cfg.image_channels;
    [
        ("down1", c, c1),
        ("down2", c1, c2),
        ("bot1", c2, c3),
        ("up2", c3 + c2, c2),
        ("up1", c2 + c1, c1),
    ]
}

pub fn declare(cfg: &NetConfig, d: &mut Declare) {
    let td = cfg.temb_dim;
    for (name, cin, cout) in blocks(cfg) {
        d.linear(&format!("{name}.mlp.0"), td, cin);
        d.linear(&format!("{name}.mlp.2"), cin, cin);
        d.conv(&format!("{name}.convs.0"), cin, cout, 3, true);
        d.batchnorm(&format!("{name}.convs.1"), cout);
        d.conv(&format!("{name}.convs.3"), cout, cout, 3, true);
        d.batchnorm(&format!("{name}.convs.4"), cout);
    }
    d.conv("out", cfg.channels[0], cfg.image_channels, 1, true);
    if cfg.num_classes > 0 {
        // One row per class plus the null label of classifier-free guidance.
        d.embedding("label_emb", cfg.num_classes + 1, td);
    }
}

/// A ConvBlock on cat(x, skip) (up blocks) or on x: h = input + MLP(temb), then twice
/// conv -> BatchNorm -> ReLU.
fn conv_block(l: &mut Layers, name: &str, x: &Var, skip: Option<&Var>, temb: &Var) -> Var {
    let m = l.linear(&format!("{name}.mlp.0"), temb);
    let m = l.g.relu(&m);
    let m = l.linear(&format!("{name}.mlp.2"), &m);
    let h = l.conv_input(&format!("{name}.convs.0"), x, skip, &m);
    let h = l.batchnorm_relu(&format!("{name}.convs.1"), &h);
    let h = l.conv(&format!("{name}.convs.3"), &h);
    l.batchnorm_relu(&format!("{name}.convs.4"), &h)
}

pub fn forward(l: &mut Layers, x: &Var, t: &GpuTensor, y: Option<&GpuTensor>) -> Var {
    let (cfg, n) = (l.cfg(), x.shape()[0]);
    let mut temb = l.g.time_embedding(n, t, cfg.temb_dim);
    if cfg.num_classes > 0 {
        let y = y.expect("a class-conditional U-Net needs labels");
        let table = l.p("label_emb.weight");
        temb = l.g.label_embedding(&temb, y, &table);
    }
    let x1 = conv_block(l, "down1", x, None, &temb);
    let p1 = l.g.maxpool(&x1);
    let x2 = conv_block(l, "down2", &p1, None, &temb);
    let p2 = l.g.maxpool(&x2);
    let h = conv_block(l, "bot1", &p2, None, &temb);
    let u = l.g.upsample(&h);
    let h = conv_block(l, "up2", &u, Some(&x2), &temb);
    let u = l.g.upsample(&h);
    let h = conv_block(l, "up1", &u, Some(&x1), &temb);
    l.conv("out", &h)
}

/// This network's entry in the registry (`nets/mod.rs`).
pub const NET: Net = Net {
    about: "the seed U-Net (ConvBlocks, time MLP, maxpool, bilinear up); presets mnist and none",
    seed_image: (1, 28),
    cpu_channels: &[16, 32, 64],
    defaults,
    validate,
    activations,
    declare,
    forward,
};
