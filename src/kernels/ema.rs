//! EMA of the weights: `shaders/ema.wgsl`. One dispatch over a whole packed buffer.

use bytemuck::{Pod, Zeroable};

use crate::gpu::shape::expect_len_of;
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    total: u32,
    decay: f32,
}

/// ema = decay * ema + (1 - decay) * src
pub fn ema(gpu: &Gpu, decay: f32, src: &GpuTensor, ema: &GpuTensor) -> Dispatch {
    expect_len_of("ema", "ema", ema, src);
    let p = Params {
        total: src.len() as u32,
        decay,
    };
    gpu.dispatch("ema", id::ema, "main", &p, &[src, ema], grid_1d(src.len()))
}

pub fn ema_cpu(decay: f32, src: &[f32], ema: &mut [f32]) {
    for (e, s) in ema.iter_mut().zip(src) {
        *e = decay * *e + (1.0 - decay) * s;
    }
}
