//! Sinusoidal time embedding (docs/design.md section 3): `shaders/time_embedding.wgsl`.
//! `v[i] = sin(t / 10000^(i/D))` for even i, `cos(t / 10000^(i/D))` for odd i (raw index i).

use bytemuck::{Pod, Zeroable};

use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    total: u32,
    d: u32,
}

/// Frequency `10000^(-i/d)` in f64.
fn frequency(i: usize, d: usize) -> f64 {
    (-(i as f64 / d as f64) * 10000f64.ln()).exp()
}

/// The frequency table the shader reads: per i, (hh, hl, lo, 0) with hh + hl the f32 value
/// of the frequency split so that hh has 8 significant bits (t * hh is exact for t < 2^16)
/// and lo the f64 remainder.
pub fn frequency_table(d: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(4 * d);
    for i in 0..d {
        let f = frequency(i, d);
        let hi = f as f32;
        let hh = f32::from_bits(hi.to_bits() & !0xFFFF);
        let hl = hi - hh; // exact: the low 16 mantissa bits of hi
        let lo = (f - hi as f64) as f32;
        out.extend_from_slice(&[hh, hl, lo, 0.0]);
    }
    out
}

/// out[n, d] = embedding of the u32 timesteps `t` [n] (upload with `gpu.upload_u32`).
/// Accurate to ~1e-6 for t < 65536 (see the shader).
pub fn time_embedding(gpu: &Gpu, n: usize, d: usize, t: &GpuTensor, out: &GpuTensor) -> Dispatch {
    assert!(d > 0, "time_embedding: dimension must be positive");
    assert_eq!(
        t.len(),
        n,
        "time_embedding: t must be [n={n}] (u32), got {:?}",
        t.shape
    );
    assert_eq!(
        out.len(),
        n * d,
        "time_embedding: out must be [n={n}, d={d}], got {:?}",
        out.shape
    );
    // Built once at record time, like the uniform: replaying creates nothing.
    let freq = gpu.upload(&frequency_table(d), &[d, 4]);
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

/// CPU reference in f64.
pub fn time_embedding_cpu(t: &[u32], d: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(t.len() * d);
    for &ti in t {
        for i in 0..d {
            let a = ti as f64 * frequency(i, d);
            out.push(if i % 2 == 0 { a.sin() } else { a.cos() } as f32);
        }
    }
    out
}
