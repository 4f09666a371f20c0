//! Fused add-noise (forward diffusion): `shaders/add_noise.wgsl`.

use bytemuck::{Pod, Zeroable};

use super::rng::{normal2_cpu, timestep_cpu, PURPOSE_EPS, PURPOSE_T};
use crate::gpu::{grid_1d, Dispatch, Gpu, GpuTensor};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    n: u32,
    chw: u32,
    t_max: u32,
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

/// From x0 [n, chw]: draws t (u32 [n], 1..=T) per image and eps [n, chw] ~ N(0, 1), writes
/// x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps. `table` is `ScheduleTable::gpu_table` (f32
/// [T+1, 4]); `rng_state` is u32 [seed_lo, seed_hi, step_lo, step_hi].
#[allow(clippy::too_many_arguments)]
pub fn add_noise(
    gpu: &Gpu,
    n: usize,
    chw: usize,
    table: &GpuTensor,
    rng_state: &GpuTensor,
    x0: &GpuTensor,
    t: &GpuTensor,
    xt: &GpuTensor,
    eps: &GpuTensor,
) -> Dispatch {
    let len = n * chw;
    assert!(n > 0 && chw > 0, "add_noise: empty batch");
    assert!(
        table.len().is_multiple_of(4) && table.len() >= 12,
        "add_noise: table must be f32 [T+1, 4] with T >= 2"
    );
    assert_eq!(
        rng_state.len(),
        4,
        "add_noise: rng_state is u32 [seed_lo, seed_hi, step_lo, step_hi]"
    );
    assert_eq!(x0.len(), len, "add_noise: x0 must be [n, chw]");
    assert_eq!(t.len(), n, "add_noise: t must be u32 [n]");
    assert_eq!(xt.len(), len, "add_noise: xt must be [n, chw]");
    assert_eq!(eps.len(), len, "add_noise: eps must be [n, chw]");
    let p = Params {
        n: n as u32,
        chw: chw as u32,
        t_max: (table.len() / 4 - 1) as u32,
    };
    gpu.dispatch(
        "add_noise",
        "add_noise",
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
