//! Philox4x32-10 and Box-Muller normals: the library `shaders/rng.wgsl`, its CPU twin
//! (bitwise the same u32s), and the test kernels `shaders/rng_fill.wgsl` and
//! `shaders/rng_normal_fill.wgsl`.
//!
//! Key = (seed_lo, seed_hi); counter = (index, stream_lo, stream_hi, purpose). A normal
//! for element `e` comes from counter `e / 2`: Box-Muller uses both outputs, `r cos(theta)`
//! for even `e` and `r sin(theta)` for odd `e`.

use crate::gpu::shape::expect_len;
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

pub const PHILOX_M0: u32 = 0xD251_1F53;
pub const PHILOX_M1: u32 = 0xCD9E_8D57;
pub const PHILOX_W0: u32 = 0x9E37_79B9;
pub const PHILOX_W1: u32 = 0xBB67_AE85;

/// Counter word 3: distinct uses of one seed never share random numbers.
pub const PURPOSE_TEST: u32 = 0;
/// Timestep of each image in add-noise.
pub const PURPOSE_T: u32 = 1;
/// Noise eps of add-noise.
pub const PURPOSE_EPS: u32 = 2;
/// Noise z of a denoise step.
pub const PURPOSE_Z: u32 = 3;
/// Start noise x_T of a sampling run.
pub const PURPOSE_XT: u32 = 4;

/// `state` is a sampler's state tensor, u32 [k, seed_lo, seed_hi, 0]: the step index and
/// the seed its noise is keyed by.
#[track_caller]
pub fn expect_sampler_state(op: &str, state: &GpuTensor) {
    expect_len(op, "state", state, 4, "u32 [k, seed_lo, seed_hi, 0]");
}

fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = a as u64 * b as u64;
    ((p >> 32) as u32, p as u32)
}

/// Philox4x32 with 10 rounds (Random123).
pub fn philox4x32_10(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = ctr;
    let mut k = key;
    for _ in 0..10 {
        let (hi0, lo0) = mulhilo(PHILOX_M0, c[0]);
        let (hi1, lo1) = mulhilo(PHILOX_M1, c[2]);
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0];
        k = [k[0].wrapping_add(PHILOX_W0), k[1].wrapping_add(PHILOX_W1)];
    }
    c
}

pub fn split(v: u64) -> [u32; 2] {
    [v as u32, (v >> 32) as u32]
}

/// The Philox block for counter `index` of (seed, stream, purpose).
pub fn philox_at(seed: u64, stream: u64, purpose: u32, index: u32) -> [u32; 4] {
    let s = split(stream);
    philox4x32_10([index, s[0], s[1], purpose], split(seed))
}

/// u32 -> uniform in (0, 1): ((u >> 9) + 0.5) * 2^-23, exactly as the shader; every value
/// lies in [2^-24, 1 - 2^-24] and is exact in f32 (23 random bits).
pub fn u01(u: u32) -> f32 {
    ((u >> 9) as f32 + 0.5) * (1.0 / 8_388_608.0)
}

/// Uniform in (0, 1) from the first word of counter `index`.
pub fn uniform_cpu(seed: u64, stream: u64, purpose: u32, index: u32) -> f32 {
    u01(philox_at(seed, stream, purpose, index)[0])
}

/// Both Box-Muller normals of counter `j` (elements 2j and 2j+1). Computed in f64 from the
/// same f32 uniforms as the shader, so GPU and CPU differ only by the GPU's f32 log/cos/sin.
pub fn normal2_cpu(seed: u64, stream: u64, purpose: u32, j: u32) -> [f32; 2] {
    let u = philox_at(seed, stream, purpose, j);
    let r = (-2.0 * (u01(u[0]) as f64).ln()).sqrt();
    let th = std::f64::consts::TAU * u01(u[1]) as f64;
    [(r * th.cos()) as f32, (r * th.sin()) as f32]
}

/// The normal of element `index` (counter index / 2, cos for even, sin for odd).
pub fn normal_cpu(seed: u64, stream: u64, purpose: u32, index: u32) -> f32 {
    normal2_cpu(seed, stream, purpose, index / 2)[(index % 2) as usize]
}

/// `len` normals for elements 0..len.
pub fn normals_cpu(seed: u64, stream: u64, purpose: u32, len: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(len + 1);
    for j in 0..len.div_ceil(2) {
        out.extend(normal2_cpu(seed, stream, purpose, j as u32));
    }
    out.truncate(len);
    out
}

/// Uniform integer in 1..=t_max: 1 + floor(u * t_max / 2^32) with u the first word.
pub fn timestep_cpu(seed: u64, stream: u64, purpose: u32, index: u32, t_max: u32) -> u32 {
    1 + mulhilo(philox_at(seed, stream, purpose, index)[0], t_max).0
}

crate::uniform! {
    struct FillParams for rng_fill {
        total: u32,
        seed_lo: u32,
        seed_hi: u32,
        stream_lo: u32,
        stream_hi: u32,
        purpose: u32,
    }
}

/// Test kernel: `raw` (u32 [4 count]) gets the Philox blocks of counters 0..count and
/// `normals` (f32 [2 count]) their Box-Muller pairs.
pub fn rng_fill(
    gpu: &Gpu,
    count: usize,
    seed: u64,
    stream: u64,
    purpose: u32,
    raw: &GpuTensor,
    normals: &GpuTensor,
) -> Dispatch {
    expect_len("rng_fill", "raw", raw, 4 * count, "4 u32 per counter");
    expect_len(
        "rng_fill",
        "normals",
        normals,
        2 * count,
        "2 f32 per counter",
    );
    let (s, st) = (split(seed), split(stream));
    let p = FillParams {
        total: count as u32,
        seed_lo: s[0],
        seed_hi: s[1],
        stream_lo: st[0],
        stream_hi: st[1],
        purpose,
    };
    gpu.dispatch(
        "rng_fill",
        id::rng_fill,
        "main",
        &p,
        &[raw, normals],
        grid_1d(count),
    )
}

crate::uniform! {
    struct NormalFillParams for rng_normal_fill {
        len: u32,
    }
}

crate::bindings! {
    for rng_fill { raw: read_write, normals: read_write }
    for rng_normal_fill { state: read, x: read_write }
}

/// x = N(0, 1) keyed by the seed in `state` (u32 [k, seed_lo, seed_hi, 0]), stream 0,
/// purpose `PURPOSE_XT`: equals `normals_cpu(seed, 0, PURPOSE_XT, x.len())`.
pub fn rng_normal_fill(gpu: &Gpu, state: &GpuTensor, x: &GpuTensor) -> Dispatch {
    expect_sampler_state("rng_normal_fill", state);
    let p = NormalFillParams {
        len: x.len() as u32,
    };
    gpu.dispatch(
        "rng_normal_fill",
        id::rng_normal_fill,
        "main",
        &p,
        &[state, x],
        grid_1d(x.len().div_ceil(2)),
    )
}
