//! Fused add-noise (forward diffusion): `shaders/add_noise.wgsl`.

use super::prediction::Prediction;
use super::rng::{normal2_cpu, timestep_cpu, PURPOSE_EPS, PURPOSE_T};
use super::schedule_table::table_steps;
use crate::gpu::shape::{expect_disjoint, expect_len};
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

crate::uniform! {
    struct Params for add_noise {
        n: u32,
        chw: u32,
        t_max: u32,
        t_fixed: u32,
        pred: u32,
    }
}

/// The host's per-step RNG words: `[seed_lo, seed_hi, step_lo, step_hi]`, written into the
/// u32 [4] `rng_state` tensor with `queue.write_buffer` before each replay.
pub fn rng_state_words(seed: u64, step: u64) -> [u32; 4] {
    [
        seed as u32,
        (seed >> 32) as u32,
        step as u32,
        (step >> 32) as u32,
    ]
}

/// From x0 [n, chw]: draws t (u32 [n], 1..=T) per image, or sets every image's t to
/// `t_fixed` (1..=T) when given, draws eps [n, chw] ~ N(0, 1) as always, and writes
/// x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps. `table` is `ScheduleTable::gpu_table` (f32
/// [T+1, 4]); `rng_state` is u32 [seed_lo, seed_hi, step_lo, step_hi].
pub fn add_noise(
    gpu: &Gpu,
    n: usize,
    chw: usize,
    t_fixed: Option<u32>,
    table: &GpuTensor,
    rng_state: &GpuTensor,
    x0: &GpuTensor,
    t: &GpuTensor,
    xt: &GpuTensor,
    eps: &GpuTensor,
) -> Dispatch {
    let io = [x0, t, xt, eps];
    add_noise_target(gpu, Prediction::Eps, n, chw, t_fixed, table, rng_state, io)
}

/// As [`add_noise`], writing into `target` the training target of `pred` (eps, x0 or
/// v = sqrt(abar_t) eps - sqrt(1 - abar_t) x0) instead of eps itself. `io` is
/// `[x0, t, xt, target]`.
pub fn add_noise_target(
    gpu: &Gpu,
    pred: Prediction,
    n: usize,
    chw: usize,
    t_fixed: Option<u32>,
    table: &GpuTensor,
    rng_state: &GpuTensor,
    io: [&GpuTensor; 4],
) -> Dispatch {
    let [x0, t, xt, eps] = io;
    let op = "add_noise";
    let len = n * chw;
    assert!(n > 0 && chw > 0, "{op}: empty batch");
    let t_max = table_steps(op, table);
    let layout = "u32 [seed_lo, seed_hi, step_lo, step_hi]";
    expect_len(op, "rng_state", rng_state, 4, layout);
    expect_len(op, "t", t, n, "u32 [n]");
    for (name, v) in [("x0", x0), ("xt", xt), ("target", eps)] {
        expect_len(op, name, v, len, "[n, chw]");
    }
    let p = Params {
        n: n as u32,
        chw: chw as u32,
        t_max: t_max as u32,
        t_fixed: t_fixed.unwrap_or(0),
        pred: pred.code(),
    };
    assert!(
        p.t_fixed <= p.t_max,
        "add_noise: t_fixed {} is beyond T = {}",
        p.t_fixed,
        p.t_max
    );
    gpu.dispatch(
        "add_noise",
        id::add_noise,
        "main",
        &p,
        &[table, rng_state, x0, t, xt, eps],
        grid_1d(len.div_ceil(2)),
    )
}

/// CPU reference: returns (t, x_t, eps). t and the Philox words are bitwise those of the GPU;
/// x_t and eps agree to f32 rounding of log/cos/sin/sqrt.
pub fn add_noise_cpu(
    n: usize,
    chw: usize,
    table: &[f32],
    seed: u64,
    step: u64,
    x0: &[f32],
) -> (Vec<u32>, Vec<f32>, Vec<f32>) {
    let t_max = (table.len() / 4 - 1) as u32;
    let t: Vec<u32> = (0..n)
        .map(|i| timestep_cpu(seed, step, PURPOSE_T, i as u32, t_max))
        .collect();
    let len = n * chw;
    let mut eps = Vec::with_capacity(len + 1);
    for j in 0..len.div_ceil(2) {
        eps.extend(normal2_cpu(seed, step, PURPOSE_EPS, j as u32));
    }
    eps.truncate(len);
    let xt = (0..len)
        .map(|e| {
            let row = &table[4 * t[e / chw] as usize..][..4];
            row[2].sqrt() * x0[e] + row[3].sqrt() * eps[e]
        })
        .collect();
    (t, xt, eps)
}

/// CPU reference of the target `add_noise_target` writes, from x0 and the (t, eps) that
/// [`add_noise_cpu`] drew, in f64 rounded to f32. It reads sqrt(1 - abar_t) from the table's
/// own column as the kernel does (1 - f32(abar_t) would lose digits near t = 1).
pub fn target_cpu(
    pred: Prediction,
    chw: usize,
    table: &[f32],
    t: &[u32],
    x0: &[f32],
    eps: &[f32],
) -> Vec<f32> {
    (0..x0.len())
        .map(|e| {
            let row = &table[4 * t[e / chw] as usize..][..4];
            let (a, s) = ((row[2] as f64).sqrt(), (row[3] as f64).sqrt());
            let (x, z) = (x0[e] as f64, eps[e] as f64);
            match pred {
                Prediction::Eps => eps[e],
                Prediction::X0 => x0[e],
                Prediction::V => (a * z - s * x) as f32,
            }
        })
        .collect()
}

crate::uniform! {
    struct BackParams for add_noise_backward {
        n: u32,
        chw: u32,
        quads: u32,
    }
}

crate::bindings! {
    for add_noise {
        table: read,
        rng_state: read,
        x0: read,
        t_out: read_write,
        xt: read_write,
        goal: read_write,
    }
    for add_noise_backward { table: read, t: read, g: read, dx0: read_write, deps: read_write }
}

/// Backward of `add_noise` for the timesteps `t` (u32 [n]) it drew, from `g` = dL/dx_t
/// [n, chw]: dx0 += sqrt(abar_t) g, deps += sqrt(1 - abar_t) g (both accumulate).
pub fn add_noise_backward(
    gpu: &Gpu,
    n: usize,
    chw: usize,
    table: &GpuTensor,
    t: &GpuTensor,
    g: &GpuTensor,
    dx0: &GpuTensor,
    deps: &GpuTensor,
) -> Dispatch {
    let op = "add_noise_backward";
    let len = n * chw;
    assert!(n > 0 && chw > 0, "{op}: empty batch");
    assert!(
        n <= 65535,
        "{op}: at most 65535 images per dispatch, got {n}"
    );
    table_steps(op, table);
    expect_len(op, "t", t, n, "u32 [n]");
    for (name, v) in [("g", g), ("dx0", dx0), ("deps", deps)] {
        expect_len(op, name, v, len, "[n, chw]");
    }
    expect_disjoint(op, ("dx0", dx0), ("deps", deps));
    let quads = chw.div_ceil(4);
    let p = BackParams {
        n: n as u32,
        chw: chw as u32,
        quads: quads as u32,
    };
    gpu.dispatch(
        "add_noise_backward",
        id::add_noise_backward,
        "main",
        &p,
        &[table, t, g, dx0, deps],
        [quads.div_ceil(256) as u32, n as u32, 1],
    )
}

/// CPU reference of `add_noise_backward`: the fresh gradients (dx0, deps) of x_t for the
/// timesteps `t`, in f64 rounded to f32.
pub fn add_noise_backward_cpu(
    chw: usize,
    table: &[f32],
    t: &[u32],
    g: &[f32],
) -> (Vec<f32>, Vec<f32>) {
    let coef = |e: usize, col: usize| (table[4 * t[e / chw] as usize + col] as f64).sqrt();
    let dx0 = g
        .iter()
        .enumerate()
        .map(|(e, g)| (coef(e, 2) * *g as f64) as f32)
        .collect();
    let deps = g
        .iter()
        .enumerate()
        .map(|(e, g)| (coef(e, 3) * *g as f64) as f32)
        .collect();
    (dx0, deps)
}
