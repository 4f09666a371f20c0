//! ReLU: `shaders/relu.wgsl`, `shaders/relu_backward.wgsl`.

use bytemuck::{Pod, Zeroable};

use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    n: u32,
}

/// y = relu(x)
pub fn relu(gpu: &Gpu, x: &GpuTensor, y: &GpuTensor) -> Dispatch {
    assert_eq!(x.len(), y.len(), "relu: x and y differ in size");
    let p = Params { n: x.len() as u32 };
    gpu.dispatch("relu", id::relu, "main", &p, &[x, y], grid_1d(x.len()))
}

/// dx += dy * (x > 0)
pub fn relu_backward(gpu: &Gpu, x: &GpuTensor, dy: &GpuTensor, dx: &GpuTensor) -> Dispatch {
    assert!(
        x.len() == dy.len() && x.len() == dx.len(),
        "relu_backward: sizes differ"
    );
    let p = Params { n: x.len() as u32 };
    gpu.dispatch(
        "relu_backward",
        id::relu_backward,
        "main",
        &p,
        &[x, dy, dx],
        grid_1d(x.len()),
    )
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
