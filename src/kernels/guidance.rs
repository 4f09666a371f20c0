//! Classifier-free guidance combine: `shaders/guidance.wgsl`.

use crate::gpu::shape::expect_len;
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

crate::uniform! {
    struct Params for guidance {
        total: u32,
        w: f32,
    }
}

crate::bindings! {
    for guidance { eps2: read, eps: read_write }
}

/// eps = eps_u + w (eps_c - eps_u), with eps2 = [eps_c; eps_u] (twice the length of eps).
pub fn guidance(gpu: &Gpu, w: f32, eps2: &GpuTensor, eps: &GpuTensor) -> Dispatch {
    let layout = "[eps_c; eps_u], the conditional and unconditional halves";
    expect_len("guidance", "eps2", eps2, 2 * eps.len(), layout);
    let p = Params {
        total: eps.len() as u32,
        w,
    };
    gpu.dispatch(
        "guidance",
        id::guidance,
        "main",
        &p,
        &[eps2, eps],
        grid_1d(eps.len()),
    )
}

pub fn guidance_cpu(w: f32, eps2: &[f32]) -> Vec<f32> {
    let len = eps2.len() / 2;
    (0..len)
        .map(|i| eps2[i + len] + w * (eps2[i] - eps2[i + len]))
        .collect()
}
