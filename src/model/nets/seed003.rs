//! Seed 003's network: the U-Net of dome272/Diffusion-Models-pytorch (`modules.py`, the deep
//! bottleneck of its `main`): DoubleConv (bias-free 3x3 convs, GroupNorm(1, C), GELU,
//! optionally residual), Down (maxpool, two DoubleConvs, + Linear(SiLU(temb))), Up (bilinear
//! x2 with align_corners, concat skip first, two DoubleConvs, + the embedding) and
//! SelfAttention (LayerNorm, 4-head attention, a GELU feed-forward) after every Down and Up.
//! `channels` is one number, the base width b (64 in the seed: widths b, 2b, 4b, 8b).

use anyhow::Result;

use super::{checks, Activations, Declare, Layers, Net, NetConfig};
use crate::gpu::GpuTensor;
use crate::kernels::time_embedding::TimeEncoding;
use crate::model::graph::Var;

const HEADS: usize = 4;

pub fn defaults() -> (Vec<usize>, usize) {
    (vec![64], 256)
}

pub fn validate(cfg: &NetConfig) -> Result<()> {
    let one = cfg.channels.len() == 1 && cfg.channels[0].is_multiple_of(HEADS);
    let takes = format!("one base width divisible by its {HEADS} attention heads (e.g. 64)");
    checks::widths(cfg, one, &takes)?;
    checks::image_multiple(cfg, 8, "pools three times by 2")?;
    checks::even_temb(cfg, 2, "a sin and a cos half")?;
    let why = "is ported unconditional (dome272's UNet, not UNet_conditional)";
    checks::unconditional(cfg, why)
}

/// (name, cin, cout, mid, residual) of a DoubleConv.
type Dc = (String, usize, usize, usize, bool);

fn dc(name: &str, cin: usize, cout: usize, mid: usize, residual: bool) -> Dc {
    (name.to_string(), cin, cout, mid, residual)
}

/// (name, cin, cout) of the Downs and Ups, (name, C) of the attentions, in forward order.
fn downs(b: usize) -> [(&'static str, usize, usize, &'static str); 3] {
    [
        ("down1", b, 2 * b, "sa1"),
        ("down2", 2 * b, 4 * b, "sa2"),
        ("down3", 4 * b, 4 * b, "sa3"),
    ]
}

fn ups(b: usize) -> [(&'static str, usize, usize, &'static str); 3] {
    [
        ("up1", 8 * b, 2 * b, "sa4"),
        ("up2", 4 * b, b, "sa5"),
        ("up3", 2 * b, b, "sa6"),
    ]
}

fn bottleneck(b: usize) -> [Dc; 3] {
    [
        dc("bot1", 4 * b, 8 * b, 8 * b, false),
        dc("bot2", 8 * b, 8 * b, 8 * b, false),
        dc("bot3", 8 * b, 4 * b, 4 * b, false),
    ]
}

/// The DoubleConvs of a Down or Up block.
fn block_convs(name: &str, cin: usize, cout: usize, up: bool) -> [Dc; 2] {
    if up {
        [
            dc(&format!("{name}.conv.0"), cin, cin, cin, true),
            dc(&format!("{name}.conv.1"), cin, cout, cin / 2, false),
        ]
    } else {
        [
            dc(&format!("{name}.maxpool_conv.1"), cin, cin, cin, true),
            dc(&format!("{name}.maxpool_conv.2"), cin, cout, cout, false),
        ]
    }
}

pub fn activations(cfg: &NetConfig) -> Activations {
    let b = cfg.channels[0] as u64;
    let a = (cfg.image_size * cfg.image_size) as u64;
    // A DoubleConv at area s: conv, GroupNorm and GELU of mid, conv and GroupNorm of out,
    // the residual add and GELU; an attention of C channels over L tokens: about 14 C x L
    // tensors and the scores and probabilities of every head (HEADS x L x L each).
    let dconv = |mid: u64, out: u64, s: u64| (3 * mid + 4 * out) * s;
    let attn = |c: u64, l: u64| 14 * c * l + 2 * HEADS as u64 * l * l;
    let mut total = dconv(b, b, a) + 4 * cfg.image_channels as u64 * a;
    let mut largest = 2 * HEADS as u64 * (a / 4) * (a / 4);
    for (i, (_, cin, cout, _)) in downs(b as usize).into_iter().enumerate() {
        let s = a >> (2 * (i + 1));
        let (cin, cout) = (cin as u64, cout as u64);
        total += cin * s + dconv(cin, cin, s) + dconv(cout, cout, s) + attn(cout, s);
    }
    total += 3 * dconv(8 * b, 8 * b, a / 64);
    for (i, (_, cin, cout, _)) in ups(b as usize).into_iter().enumerate() {
        let s = a >> (2 * (2 - i));
        let (cin, cout) = (cin as u64, cout as u64);
        total += 2 * cin * s + dconv(cin, cin, s) + dconv(cin / 2, cout, s) + attn(cout, s);
        largest = largest.max(2 * cin * s);
    }
    Activations { largest, total }
}

fn declare_dc(d: &mut Declare, (name, cin, cout, mid, _): &Dc) {
    d.conv(&format!("{name}.double_conv.0"), *cin, *mid, 3, false);
    d.norm(&format!("{name}.double_conv.1"), *mid);
    d.conv(&format!("{name}.double_conv.3"), *mid, *cout, 3, false);
    d.norm(&format!("{name}.double_conv.4"), *cout);
}

fn declare_sa(d: &mut Declare, name: &str, c: usize) {
    d.attention(&format!("{name}.mha"), c);
    d.norm(&format!("{name}.ln"), c);
    d.norm(&format!("{name}.ff_self.0"), c);
    d.linear(&format!("{name}.ff_self.1"), c, c);
    d.linear(&format!("{name}.ff_self.3"), c, c);
}

pub fn declare(cfg: &NetConfig, d: &mut Declare) {
    let b = cfg.channels[0];
    declare_dc(d, &dc("inc", cfg.image_channels, b, b, false));
    for (name, cin, cout, sa) in downs(b) {
        for c in block_convs(name, cin, cout, false) {
            declare_dc(d, &c);
        }
        d.linear(&format!("{name}.emb_layer.1"), cfg.temb_dim, cout);
        declare_sa(d, sa, cout);
    }
    for c in bottleneck(b) {
        declare_dc(d, &c);
    }
    for (name, cin, cout, sa) in ups(b) {
        for c in block_convs(name, cin, cout, true) {
            declare_dc(d, &c);
        }
        d.linear(&format!("{name}.emb_layer.1"), cfg.temb_dim, cout);
        declare_sa(d, sa, cout);
    }
    d.conv("outc", b, cfg.image_channels, 1, true);
}

/// conv -> GroupNorm(1) -> GELU -> conv -> GroupNorm(1); residual: gelu(x + that).
fn double_conv(l: &mut Layers, (name, _, _, _, residual): &Dc, x: &Var) -> Var {
    let h = l.conv_strided(&format!("{name}.double_conv.0"), x, 1, 1);
    let h = l.group_norm(&format!("{name}.double_conv.1"), 1, &h);
    let h = l.g.gelu(&h);
    let h = l.conv_strided(&format!("{name}.double_conv.3"), &h, 1, 1);
    let h = l.group_norm(&format!("{name}.double_conv.4"), 1, &h);
    if *residual {
        let s = l.g.add(x, &h);
        l.g.gelu(&s)
    } else {
        h
    }
}

/// x + Linear(silu(temb)) over pixels.
fn add_embedding(l: &mut Layers, name: &str, x: &Var, silu_temb: &Var) -> Var {
    let e = l.linear(&format!("{name}.emb_layer.1"), silu_temb);
    l.g.broadcast_add(x, &e)
}

/// LayerNorm, attention and a GELU feed-forward, each residual, over the pixels as tokens.
fn self_attention(l: &mut Layers, name: &str, x: &Var) -> Var {
    let (h, w) = (x.shape()[2], x.shape()[3]);
    let tok = l.g.tokens(x);
    let xl = l.layer_norm(&format!("{name}.ln"), &tok);
    let a = l.self_attention(&format!("{name}.mha"), HEADS, &xl);
    let a = l.g.add(&a, &tok);
    let f = l.layer_norm(&format!("{name}.ff_self.0"), &a);
    let f = l.linear(&format!("{name}.ff_self.1"), &f);
    let f = l.g.gelu(&f);
    let f = l.linear(&format!("{name}.ff_self.3"), &f);
    let out = l.g.add(&f, &a);
    l.g.untokens(&out, h, w)
}

pub fn forward(l: &mut Layers, x: &Var, t: &GpuTensor, _y: Option<&GpuTensor>) -> Var {
    let cfg = l.cfg();
    let (n, b) = (x.shape()[0], cfg.channels[0]);
    let denom = (cfg.temb_dim / 2) as f64;
    let temb =
        l.g.time_encoding(n, t, cfg.temb_dim, TimeEncoding::Halves { denom });
    // Every Down and Up applies SiLU to the same embedding before its Linear: once is enough.
    let silu_temb = l.g.silu(&temb);
    let mut h = double_conv(l, &dc("inc", cfg.image_channels, b, b, false), x);
    let mut skips = vec![h.clone()];
    for (name, cin, cout, sa) in downs(b) {
        h = l.g.maxpool(&h);
        for c in block_convs(name, cin, cout, false) {
            h = double_conv(l, &c, &h);
        }
        h = add_embedding(l, name, &h, &silu_temb);
        h = self_attention(l, sa, &h);
        skips.push(h.clone());
    }
    skips.pop(); // x4 feeds the bottleneck, not a concat
    for c in bottleneck(b) {
        h = double_conv(l, &c, &h);
    }
    for (name, cin, cout, sa) in ups(b) {
        let skip = skips.pop().expect("one skip per Up");
        let u = l.g.upsample_with(&h, true);
        h = l.g.concat(&skip, &u);
        for c in block_convs(name, cin, cout, true) {
            h = double_conv(l, &c, &h);
        }
        h = add_embedding(l, name, &h, &silu_temb);
        h = self_attention(l, sa, &h);
    }
    l.conv("outc", &h)
}

/// This network's entry in the registry (`nets/mod.rs`).
pub const NET: Net = Net {
    about: "Diffusion-Models-pytorch U-Net (GroupNorm, GELU, self-attention); preset folder64",
    seed_image: (3, 64),
    cpu_channels: &[16],
    defaults,
    validate,
    activations,
    declare,
    forward,
};
