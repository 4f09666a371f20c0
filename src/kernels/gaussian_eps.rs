//! The optimal noise predictor for Gaussian data N(mu, s^2): `shaders/gaussian_eps.wgsl`.
//! A test "model" that lets samplers be checked without training.

use bytemuck::{Pod, Zeroable};

use super::schedule_table::ScheduleTable;
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    len: u32,
    chw: u32,
    mu: f32,
    s: f32,
}

/// eps[e] = sqrt(1 - abar_t)(x[e] - sqrt(abar_t) mu) / (abar_t s^2 + 1 - abar_t), t = t_batch[e / chw].
#[allow(clippy::too_many_arguments)]
pub fn gaussian_eps(
    gpu: &Gpu,
    n: usize,
    chw: usize,
    mu: f32,
    s: f32,
    table: &GpuTensor,
    t_batch: &GpuTensor,
    x: &GpuTensor,
    eps: &GpuTensor,
) -> Dispatch {
    assert_eq!(t_batch.len(), n, "gaussian_eps: t_batch must be u32 [n]");
    assert_eq!(x.len(), n * chw, "gaussian_eps: x must be [n, chw]");
    assert_eq!(eps.len(), n * chw, "gaussian_eps: eps must be [n, chw]");
    let p = Params {
        len: (n * chw) as u32,
        chw: chw as u32,
        mu,
        s,
    };
    gpu.dispatch(
        "gaussian_eps",
        id::gaussian_eps,
        "main",
        &p,
        &[table, t_batch, x, eps],
        grid_1d(n * chw),
    )
}

/// f64 reference of the predictor for one element.
pub fn gaussian_eps_cpu(s: &ScheduleTable, t: usize, x: f64, mu: f64, sd: f64) -> f64 {
    let a = s.abar[t];
    (1.0 - a).sqrt() * (x - a.sqrt() * mu) / (a * sd * sd + 1.0 - a)
}
