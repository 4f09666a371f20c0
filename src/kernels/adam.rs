//! Adam / AdamW with PyTorch semantics, one dispatch over a flat parameter buffer:
//! `shaders/adam.wgsl`.

use crate::gpu::shape::{expect_disjoint, expect_len, expect_len_of};
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

#[derive(Clone, Copy, Debug)]
pub struct AdamConfig {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    /// Decoupled weight decay (AdamW); 0 gives plain Adam.
    pub weight_decay: f32,
}

impl Default for AdamConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

crate::uniform! {
    struct Params for adam {
        len: u32,
        stride: u32,
    }
}

crate::bindings! {
    for adam { params: read_write, grads: read, m: read_write, v: read_write, hyper: read }
}

/// Elements per invocation.
const PER: usize = 4;
/// The override constants of `shaders/adam.wgsl`.
pub const CONSTANTS: &[(&str, f64)] = &[("PER", PER as f64)];

/// The f64 of the shortest decimal that reads back as `x`: 0.999f32 becomes 0.999, as the
/// Python float PyTorch uses (plain `as f64` gives 0.99900001287, which puts a 5e-5 relative
/// error into 1 - beta2^step).
fn decimal(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(x as f64)
}

/// The per-step hyper-parameters the kernel reads from a small storage tensor (so a recorded
/// program is reused every step; the host writes these 8 floats with queue.write_buffer before submit):
/// [lr, beta1, beta2, eps, weight_decay, 1-beta1^step, 1-beta2^step, 0], computed in f64 then cast.
pub fn adam_hyper(cfg: &AdamConfig, step: u64) -> [f32; 8] {
    assert!(step >= 1, "adam_hyper: steps count from 1");
    let s = step.min(i32::MAX as u64) as i32;
    let bc1 = 1.0 - decimal(cfg.beta1).powi(s);
    let bc2 = 1.0 - decimal(cfg.beta2).powi(s);
    [
        cfg.lr,
        cfg.beta1,
        cfg.beta2,
        cfg.eps,
        cfg.weight_decay,
        bc1 as f32,
        bc2 as f32,
        0.0,
    ]
}

/// One optimiser step: updates `params`, `m` and `v` in place from `grads`, reading the
/// hyper-parameters from `hyper` (8 f32, see [`adam_hyper`]).
pub fn adam(
    gpu: &Gpu,
    params: &GpuTensor,
    grads: &GpuTensor,
    m: &GpuTensor,
    v: &GpuTensor,
    hyper: &GpuTensor,
) -> Dispatch {
    let len = params.len();
    for (name, t) in [("grads", grads), ("m", m), ("v", v)] {
        expect_len_of("adam", name, t, params);
    }
    expect_len("adam", "hyper", hyper, 8, "see adam_hyper");
    for (name, t) in [("grads", grads), ("m", m), ("v", v), ("hyper", hyper)] {
        expect_disjoint("adam", ("params", params), (name, t));
    }
    let threads = len.div_ceil(PER);
    let p = Params {
        len: len as u32,
        stride: threads as u32,
    };
    gpu.dispatch_with(
        "adam",
        id::adam,
        "main",
        CONSTANTS,
        &p,
        &[params, grads, m, v, hyper],
        grid_1d(threads),
    )
}

/// CPU reference, f32 in the kernel's order of operations.
pub fn adam_cpu(
    cfg: &AdamConfig,
    step: u64,
    params: &mut [f32],
    grads: &[f32],
    m: &mut [f32],
    v: &mut [f32],
) {
    let h = adam_hyper(cfg, step);
    let (lr, b1, b2, eps, wd, bc1, bc2) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6]);
    assert!(grads.len() == params.len() && m.len() == params.len() && v.len() == params.len());
    for i in 0..params.len() {
        let g = grads[i];
        let w = params[i] * (1.0 - lr * wd);
        m[i] = b1 * m[i] + (1.0 - b1) * g;
        v[i] = b2 * v[i] + (1.0 - b2) * (g * g);
        let denom = v[i].sqrt() / bc2.sqrt() + eps;
        params[i] = w - (lr / bc1) * (m[i] / denom);
    }
}
