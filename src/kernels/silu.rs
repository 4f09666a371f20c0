//! SiLU (swish), x * sigmoid(x): `shaders/silu.wgsl`, `shaders/silu_backward.wgsl`.

use super::activation;
use crate::gpu::{id, Dispatch, Gpu, GpuTensor};

/// y = x * sigmoid(x)  (overwrites y)
pub fn silu(gpu: &Gpu, x: &GpuTensor, y: &GpuTensor) -> Dispatch {
    activation::forward(gpu, "silu", id::silu, x, y)
}

/// dx += dy * s * (1 + x * (1 - s)), s = sigmoid(x)
pub fn silu_backward(gpu: &Gpu, x: &GpuTensor, dy: &GpuTensor, dx: &GpuTensor) -> Dispatch {
    activation::backward(gpu, "silu_backward", id::silu_backward, x, dy, dx)
}

fn sigmoid_f64(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

pub fn silu_f64(x: f64) -> f64 {
    x * sigmoid_f64(x)
}

/// d silu / dx in f64.
pub fn silu_grad_f64(x: f64) -> f64 {
    let s = sigmoid_f64(x);
    s * (1.0 + x * (1.0 - s))
}

pub fn silu_cpu(x: &[f32]) -> Vec<f32> {
    x.iter().map(|v| silu_f64(*v as f64) as f32).collect()
}

/// Returns the gradient contribution (the GPU kernel adds it into `dx`).
pub fn silu_backward_cpu(x: &[f32], dy: &[f32]) -> Vec<f32> {
    x.iter()
        .zip(dy)
        .map(|(x, g)| (*g as f64 * silu_grad_f64(*x as f64)) as f32)
        .collect()
}
