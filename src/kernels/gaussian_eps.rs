//! The optimal noise predictor for Gaussian data N(mu, s^2): `shaders/gaussian_eps.wgsl`.
//! A test "model" that lets samplers be checked without training.

use super::schedule_table::ScheduleTable;
use crate::gpu::shape::expect_len;
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

crate::uniform! {
    struct Params for gaussian_eps {
        total: u32,
        chw: u32,
        mu: f32,
        s: f32,
    }
}

crate::bindings! {
    for gaussian_eps { table: read, t_batch: read, x: read, eps: read_write }
}

/// eps[e] = sqrt(1 - abar_t)(x[e] - sqrt(abar_t) mu) / (abar_t s^2 + 1 - abar_t), t = t_batch[e / chw].
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
    let op = "gaussian_eps";
    expect_len(op, "t_batch", t_batch, n, "u32 [n]");
    expect_len(op, "x", x, n * chw, "[n, chw]");
    expect_len(op, "eps", eps, n * chw, "[n, chw]");
    let p = Params {
        total: (n * chw) as u32,
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
