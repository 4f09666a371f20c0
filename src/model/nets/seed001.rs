//! Seed 001's `DiffusionUNet` (one 48x48 RGB photo): a stem conv, `UNetStage`s that go down
//! with a 4x4 stride-2 conv and up with a 4x4 stride-2 transposed conv, skip concats, a 1x1
//! head. `channels` is the seed's `channel_sequence` (64, 128, 256, 512, 1024); each stage
//! adds relu(Linear(sinusoidal(t))) between its two convs. Trained unconditionally, as the
//! seed does (its optional `label_proj` is not ported).

use anyhow::Result;

use super::{checks, Activations, Declare, Layers, Net, NetConfig};
use crate::gpu::GpuTensor;
use crate::kernels::time_embedding::TimeEncoding;
use crate::model::graph::Var;

pub fn defaults() -> (Vec<usize>, usize) {
    (vec![64, 128, 256, 512, 1024], 128)
}

/// The stages as (name, cin, cout, down): down stages over consecutive widths, then up
/// stages over the reversed widths (their first conv sees the concat, twice cin).
fn stages(cfg: &NetConfig) -> Vec<(String, usize, usize, bool)> {
    let c = &cfg.channels;
    let r: Vec<usize> = c.iter().rev().copied().collect();
    let down = c.windows(2).enumerate();
    let up = r.windows(2).enumerate();
    down.map(|(k, w)| (format!("down_blocks.{k}"), w[0], w[1], true))
        .chain(up.map(|(k, w)| (format!("up_blocks.{k}"), w[0], w[1], false)))
        .collect()
}

pub fn validate(cfg: &NetConfig) -> Result<()> {
    let levels = cfg.channels.len();
    checks::widths(
        cfg,
        levels >= 2,
        "at least two widths (e.g. 64,128,256,512,1024)",
    )?;
    let halvings = levels - 1;
    let why = format!("with {levels} widths halves the image {halvings} times");
    checks::image_multiple(cfg, 1 << halvings, &why)?;
    checks::even_temb(cfg, 4, "it divides by D/2 - 1")?;
    checks::unconditional(cfg, "is ported unconditional (as the seed trains it)")
}

/// Per stage at its input size: the concat (up), five stage-sized tensors (conv_in, its
/// ReLU and BatchNorm, conv_feat, its ReLU and BatchNorm: fewer stored) and the output.
pub fn activations(cfg: &NetConfig) -> Activations {
    let s2 = (cfg.image_size * cfg.image_size) as u64;
    let mut total = (cfg.channels[0] as u64 + 4 * cfg.image_channels as u64) * s2;
    let mut largest = cfg.channels[0] as u64 * s2;
    let mut area = s2;
    for (_, cin, cout, down) in stages(cfg) {
        let (cin, cout) = (cin as u64, cout as u64);
        let concat = if down { 0 } else { 2 * cin * area };
        let out_area = if down { area / 4 } else { area * 4 };
        total += concat + 6 * cout * area + cout * out_area;
        largest = largest.max(concat).max(cout * area).max(cout * out_area);
        area = out_area;
    }
    Activations { largest, total }
}

pub fn declare(cfg: &NetConfig, d: &mut Declare) {
    let c = cfg.image_channels;
    d.conv("stem", c, cfg.channels[0], 3, true);
    for (name, cin, cout, down) in stages(cfg) {
        d.linear(&format!("{name}.time_proj"), cfg.temb_dim, cout);
        let conv_in = if down { cin } else { 2 * cin };
        d.conv(&format!("{name}.conv_in"), conv_in, cout, 3, true);
        if down {
            d.conv(&format!("{name}.spatial"), cout, cout, 4, true);
        } else {
            d.conv_transpose(&format!("{name}.spatial"), cout, cout, 4);
        }
        d.batchnorm(&format!("{name}.bn1"), cout);
        d.batchnorm(&format!("{name}.bn2"), cout);
        d.conv(&format!("{name}.conv_feat"), cout, cout, 3, true);
    }
    d.conv("head", cfg.channels[0], c, 1, true);
}

/// bn1(relu(conv_in(x))) + relu(time_proj(emb)), then bn2(relu(conv_feat(.))), then the
/// stride-2 conv (down) or transposed conv (up). The time add happens inside conv_feat's
/// input packing.
fn stage(l: &mut Layers, name: &str, x: &Var, emb: &Var, down: bool) -> Var {
    let h = l.conv(&format!("{name}.conv_in"), x);
    let h = l.g.relu(&h);
    let h = l.batchnorm(&format!("{name}.bn1"), &h);
    let e = l.linear(&format!("{name}.time_proj"), emb);
    let e = l.g.relu(&e);
    let h = l.conv_input(&format!("{name}.conv_feat"), &h, None, &e);
    let h = l.g.relu(&h);
    let h = l.batchnorm(&format!("{name}.bn2"), &h);
    let spatial = format!("{name}.spatial");
    if down {
        l.conv_strided(&spatial, &h, 2, 1)
    } else {
        l.conv_transpose(&spatial, &h, 2, 1, 0)
    }
}

pub fn forward(l: &mut Layers, x: &Var, t: &GpuTensor, _y: Option<&GpuTensor>) -> Var {
    let (cfg, n) = (l.cfg(), x.shape()[0]);
    // Every stage computes the same parameter-free encoding: once is enough.
    let denom = (cfg.temb_dim / 2 - 1) as f64;
    let emb =
        l.g.time_encoding(n, t, cfg.temb_dim, TimeEncoding::Halves { denom });
    let mut h = l.conv("stem", x);
    let mut skips = Vec::new();
    for (name, _, _, down) in stages(cfg) {
        if down {
            h = stage(l, &name, &h, &emb, true);
            skips.push(h.clone());
        } else {
            let skip = skips.pop().expect("one skip per up stage");
            let cat = l.g.concat(&h, &skip);
            h = stage(l, &name, &cat, &emb, false);
        }
    }
    l.conv("head", &h)
}

/// This network's entry in the registry (`nets/mod.rs`).
pub const NET: Net = Net {
    about: "DiffusionUNet (strided conv down, transposed conv up, BatchNorm); preset single48",
    seed_image: (3, 48),
    cpu_channels: &[16, 32, 64, 128],
    defaults,
    validate,
    activations,
    declare,
    forward,
};
