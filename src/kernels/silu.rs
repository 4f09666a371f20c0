//! SiLU (swish), x * sigmoid(x): `shaders/silu.wgsl`, `shaders/silu_backward.wgsl`.

use bytemuck::{Pod, Zeroable};

use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    n: u32,
}

fn params(op: &str, x: &GpuTensor, others: &[(&str, &GpuTensor)]) -> Params {
    for (name, t) in others {
        assert_eq!(
            t.len(),
            x.len(),
            "{op}: {name} has shape {:?}, x has {:?} (sizes must match)",
            t.shape,
            x.shape
        );
    }
    assert!(
        x.len() <= u32::MAX as usize,
        "{op}: more than 2^32 elements"
    );
    Params { n: x.len() as u32 }
}

/// y = x * sigmoid(x)  (overwrites y)
pub fn silu(gpu: &Gpu, x: &GpuTensor, y: &GpuTensor) -> Dispatch {
    let p = params("silu", x, &[("y", y)]);
    gpu.dispatch("silu", id::silu, "main", &p, &[x, y], grid_1d(x.len()))
}

/// dx += dy * s * (1 + x * (1 - s)), s = sigmoid(x)
pub fn silu_backward(gpu: &Gpu, x: &GpuTensor, dy: &GpuTensor, dx: &GpuTensor) -> Dispatch {
    let p = params("silu_backward", x, &[("dy", dy), ("dx", dx)]);
    gpu.dispatch(
        "silu_backward",
        id::silu_backward,
        "main",
        &p,
        &[x, dy, dx],
        grid_1d(x.len()),
    )
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
