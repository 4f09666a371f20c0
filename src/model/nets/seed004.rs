//! Seed 004's U-Net (Fashion-MNIST 16x16, T = 150): DownBlocks (conv, BatchNorm, ReLU twice,
//! maxpool), a dense bottleneck on the flattened latent, UpBlocks with a 3x3 stride-2
//! transposed conv (output padding 1), and EmbedBlocks (Linear, ReLU, Linear) of t/T added
//! before each UpBlock's concat. `channels` is the seed's `down_chs` (16, 32, 64).

use anyhow::Result;

use super::{checks, Activations, Declare, Layers, Net, NetConfig};
use crate::gpu::GpuTensor;
use crate::kernels::time_embedding::TimeEncoding;
use crate::model::graph::Var;

pub fn defaults() -> (Vec<usize>, usize) {
    (vec![16, 32, 64], 1)
}

pub fn validate(cfg: &NetConfig) -> Result<()> {
    let three = cfg.channels.len() == 3;
    checks::widths(cfg, three, "three widths (down_chs, e.g. 16,32,64)")?;
    checks::image_multiple(cfg, 4, "pools twice by 2 into its dense bottleneck")?;
    checks::unconditional(cfg, "has no label input")
}

/// Per image: the blocks' conv outputs (BatchNorm+ReLU fused, so two tensors per conv),
/// pools, concats and the transposed convs' outputs, plus x0 / x_t / eps.
pub fn activations(cfg: &NetConfig) -> Activations {
    let s2 = (cfg.image_size * cfg.image_size) as u64;
    let [d0, d1, d2] = [0, 1, 2].map(|i| cfg.channels[i] as u64);
    let c = cfg.image_channels as u64;
    let full = (2 * d0 + 4 * d1 + 2 * d0 + 2 * d1 + 4 * d0) * s2;
    let half = (4 * d2 + d1 + 2 * d2 + 2 * d1 + 2 * d2) * s2 / 4;
    let quarter = (d2 + 2 * d2 + 2 * d2) * s2 / 16;
    Activations {
        largest: (2 * d1).max(d0 + d1) * s2,
        total: full + half + quarter + 4 * c * s2,
    }
}

pub fn declare(cfg: &NetConfig, d: &mut Declare) {
    let [d0, d1, d2] = [cfg.channels[0], cfg.channels[1], cfg.channels[2]];
    let (c, l2) = (cfg.image_channels, (cfg.image_size / 4).pow(2));
    d.conv("down0.0", c, d0, 3, true);
    d.batchnorm("down0.1", d0);
    for (name, cin, cout) in [("down1", d0, d1), ("down2", d1, d2)] {
        d.conv(&format!("{name}.model.0"), cin, cout, 3, true);
        d.batchnorm(&format!("{name}.model.1"), cout);
        d.conv(&format!("{name}.model.3"), cout, cout, 3, true);
        d.batchnorm(&format!("{name}.model.4"), cout);
    }
    d.linear("dense_emb.0", d2 * l2, d1);
    d.linear("dense_emb.2", d1, d1);
    d.linear("dense_emb.4", d1, d2 * l2);
    for (name, e) in [("temb_1", d2), ("temb_2", d1)] {
        d.linear(&format!("{name}.model.0"), 1, e);
        d.linear(&format!("{name}.model.2"), e, e);
    }
    d.conv("up0.1", d2, d2, 3, true);
    d.batchnorm("up0.2", d2);
    for (name, cin, cout) in [("up1", d2, d1), ("up2", d1, d0)] {
        d.conv_transpose(&format!("{name}.model.0"), 2 * cin, cout, 3);
        d.batchnorm(&format!("{name}.model.1"), cout);
        d.conv(&format!("{name}.model.3"), cout, cout, 3, true);
        d.batchnorm(&format!("{name}.model.4"), cout);
    }
    d.conv("out.0", d0, d0, 3, true);
    d.batchnorm("out.1", d0);
    d.conv("out.3", d0, c, 3, true);
}

fn down_block(l: &mut Layers, name: &str, x: &Var) -> Var {
    let h = l.conv(&format!("{name}.model.0"), x);
    let h = l.batchnorm_relu(&format!("{name}.model.1"), &h);
    let h = l.conv(&format!("{name}.model.3"), &h);
    let h = l.batchnorm_relu(&format!("{name}.model.4"), &h);
    l.g.maxpool(&h)
}

/// The UpBlock on cat(x + temb, skip).
fn up_block(l: &mut Layers, name: &str, x: &Var, temb: &Var, skip: &Var) -> Var {
    let h = l.g.broadcast_add(x, temb);
    let h = l.g.concat(&h, skip);
    let h = l.conv_transpose(&format!("{name}.model.0"), &h, 2, 1, 1);
    let h = l.batchnorm_relu(&format!("{name}.model.1"), &h);
    let h = l.conv(&format!("{name}.model.3"), &h);
    l.batchnorm_relu(&format!("{name}.model.4"), &h)
}

/// EmbedBlock: Linear(1, e), ReLU, Linear(e, e) on t/T ([n, 1] -> [n, e]).
fn embed(l: &mut Layers, name: &str, tt: &Var) -> Var {
    let h = l.linear(&format!("{name}.model.0"), tt);
    let h = l.g.relu(&h);
    l.linear(&format!("{name}.model.2"), &h)
}

pub fn forward(l: &mut Layers, x: &Var, t: &GpuTensor, _y: Option<&GpuTensor>) -> Var {
    let (cfg, n) = (l.cfg(), x.shape()[0]);
    let (d2, side) = (cfg.channels[2], cfg.image_size / 4);
    let h = l.conv("down0.0", x);
    let down0 = l.batchnorm_relu("down0.1", &h);
    let down1 = down_block(l, "down1", &down0);
    let down2 = down_block(l, "down2", &down1);
    // to_vec: Flatten (a view) and a ReLU, kept although down2 is already non-negative.
    let flat = l.g.reshape(&down2, &[n, d2 * side * side]);
    let v = l.g.relu(&flat);
    let v = l.linear("dense_emb.0", &v);
    let v = l.g.relu(&v);
    let v = l.linear("dense_emb.2", &v);
    let v = l.g.relu(&v);
    let v = l.linear("dense_emb.4", &v);
    let latent = l.g.relu(&v);
    let tt =
        l.g.time_encoding(n, t, 1, TimeEncoding::Fraction { t_max: cfg.t_max });
    let temb_1 = embed(l, "temb_1", &tt);
    let temb_2 = embed(l, "temb_2", &tt);
    let up0 = l.g.reshape(&latent, &[n, d2, side, side]);
    let h = l.conv("up0.1", &up0);
    let up0 = l.batchnorm_relu("up0.2", &h);
    let up1 = up_block(l, "up1", &up0, &temb_1, &down2);
    let up2 = up_block(l, "up2", &up1, &temb_2, &down1);
    let h = l.conv("out.0", &up2);
    let h = l.batchnorm_relu("out.1", &h);
    l.conv("out.3", &h)
}

/// This network's entry in the registry (`nets/mod.rs`).
pub const NET: Net = Net {
    about: "DownBlock/UpBlock U-Net with a dense bottleneck and t/T MLPs; preset fashion16",
    seed_image: (1, 16),
    cpu_channels: &[16, 32, 64],
    defaults,
    validate,
    activations,
    declare,
    forward,
};
