//! Time embeddings: `shaders/time_embedding.wgsl`. The seed U-Net's (docs/design.md section 3)
//! is `v[i] = sin(t / 10000^(i/D))` for even i, `cos(t / 10000^(i/D))` for odd i (raw index i);
//! the other seed networks use the variants of [`TimeEncoding`].

use crate::gpu::shape::expect_len;
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

crate::uniform! {
    struct Params for time_embedding {
        total: u32,
        d: u32,
    }
}

crate::bindings! {
    for time_embedding { t: read, out: read_write, freq: read }
}

/// How timesteps become a network's time input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TimeEncoding {
    /// The seed U-Net: sin(t f_i) for even i, cos(t f_i) for odd i, f_i = 10000^(-i/D).
    Interleaved,
    /// Sines in the first half, cosines in the second: column j and D/2 + j use
    /// f_j = exp(-j ln(10000) / denom). Seed 001 divides by D/2 - 1, seed 003 by D/2.
    Halves { denom: f64 },
    /// t / T in every column (seeds 002 and 004, with D = 1).
    Fraction { t_max: usize },
}

/// Column i's frequency in f64 and its kind (0 sin, 1 cos, 2 the product itself).
fn column(enc: TimeEncoding, i: usize, d: usize) -> (f64, f32) {
    let ln = 10000f64.ln();
    match enc {
        TimeEncoding::Interleaved => ((-(i as f64 / d as f64) * ln).exp(), (i % 2) as f32),
        TimeEncoding::Halves { denom } => {
            let half = d / 2;
            let j = if i < half { i } else { i - half };
            (
                (-(j as f64) * ln / denom).exp(),
                if i < half { 0.0 } else { 1.0 },
            )
        }
        TimeEncoding::Fraction { t_max } => (1.0 / t_max as f64, 2.0),
    }
}

/// The frequency table the shader reads: per i, (hh, hl, lo, kind) with hh + hl the f32
/// value of the frequency split so that hh has 8 significant bits (t * hh is exact for
/// t < 2^16) and lo the f64 remainder.
pub fn frequency_table(enc: TimeEncoding, d: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(4 * d);
    for i in 0..d {
        let (f, kind) = column(enc, i, d);
        let hi = f as f32;
        let hh = f32::from_bits(hi.to_bits() & !0xFFFF);
        let hl = hi - hh; // exact: the low 16 mantissa bits of hi
        let lo = (f - hi as f64) as f32;
        out.extend_from_slice(&[hh, hl, lo, kind]);
    }
    out
}

/// out[n, d] = the seed U-Net's embedding of the u32 timesteps `t` [n] (upload with
/// `gpu.upload_u32`). Accurate to ~1e-6 for t < 65536 (see the shader).
pub fn time_embedding(gpu: &Gpu, n: usize, d: usize, t: &GpuTensor, out: &GpuTensor) -> Dispatch {
    time_encoding(gpu, TimeEncoding::Interleaved, n, d, t, out)
}

/// out[n, d] = the time input `enc` of the u32 timesteps `t` [n].
pub fn time_encoding(
    gpu: &Gpu,
    enc: TimeEncoding,
    n: usize,
    d: usize,
    t: &GpuTensor,
    out: &GpuTensor,
) -> Dispatch {
    assert!(d > 0, "time_embedding: dimension must be positive");
    if let TimeEncoding::Halves { .. } = enc {
        assert!(
            d.is_multiple_of(2),
            "time_embedding: sin/cos halves need an even dimension, got {d}"
        );
    }
    expect_len("time_embedding", "t", t, n, "u32 [n]");
    expect_len("time_embedding", "out", out, n * d, "[n, d]");
    // Built once at record time, like the uniform: replaying creates nothing.
    let freq = gpu.upload(&frequency_table(enc, d), &[d, 4]);
    let p = Params {
        total: (n * d) as u32,
        d: d as u32,
    };
    gpu.dispatch(
        "time_embedding",
        id::time_embedding,
        "main",
        &p,
        &[t, out, &freq],
        grid_1d(n * d),
    )
}

/// CPU reference of the seed U-Net's embedding, in f64.
pub fn time_embedding_cpu(t: &[u32], d: usize) -> Vec<f32> {
    time_encoding_cpu(TimeEncoding::Interleaved, t, d)
}

/// CPU reference in f64.
pub fn time_encoding_cpu(enc: TimeEncoding, t: &[u32], d: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(t.len() * d);
    for &ti in t {
        for i in 0..d {
            let (f, kind) = column(enc, i, d);
            let a = ti as f64 * f;
            out.push(match kind as u32 {
                0 => a.sin(),
                1 => a.cos(),
                _ => a,
            } as f32);
        }
    }
    out
}
