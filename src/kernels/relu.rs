//! ReLU: `shaders/relu.wgsl`, `shaders/relu_backward.wgsl` (frames from the activation
//! libraries).

use super::activation;
use crate::gpu::{id, Dispatch, Gpu, GpuTensor};

/// y = relu(x)  (overwrites y)
pub fn relu(gpu: &Gpu, x: &GpuTensor, y: &GpuTensor) -> Dispatch {
    activation::forward(gpu, "relu", id::relu, x, y)
}

/// dx += dy * (x > 0)
pub fn relu_backward(gpu: &Gpu, x: &GpuTensor, dy: &GpuTensor, dx: &GpuTensor) -> Dispatch {
    activation::backward(gpu, "relu_backward", id::relu_backward, x, dy, dx)
}

pub fn relu_cpu(x: &[f32]) -> Vec<f32> {
    x.iter().map(|v| v.max(0.0)).collect()
}

/// Returns the gradient contribution (the GPU kernel adds it into `dx`).
pub fn relu_backward_cpu(x: &[f32], dy: &[f32]) -> Vec<f32> {
    x.iter()
        .zip(dy)
        .map(|(x, g)| if *x > 0.0 { *g } else { 0.0 })
        .collect()
}
