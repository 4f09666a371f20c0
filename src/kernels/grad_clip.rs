//! Gradient clipping by global norm: `shaders/grad_clip.wgsl`, after the mean square of the
//! gradients is reduced by the MSE kernel's deterministic two-pass sum (`squares` entry).

use super::mse;
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

crate::uniform! {
    struct Params for grad_clip {
        n: u32,
        max_norm: f32,
    }
}

crate::bindings! {
    for grad_clip { mean_sq: read, g: read_write, norm_out: read_write }
}

/// grads *= min(1, max_norm / ||grads||); `norm` ([1]) receives ||grads||. Scratch (the mean
/// square) is allocated here, once.
pub fn grad_clip(gpu: &Gpu, max_norm: f32, grads: &GpuTensor, norm: &GpuTensor) -> Vec<Dispatch> {
    assert!(max_norm > 0.0, "grad_clip: max_norm must be positive");
    let mean_sq = gpu.zeros(&[1]);
    let mut d = mse::mean_of_squares(gpu, grads, &mean_sq);
    let p = Params {
        n: grads.len() as u32,
        max_norm,
    };
    d.push(gpu.dispatch(
        "grad_clip",
        id::grad_clip,
        "main",
        &p,
        &[&mean_sq, grads, norm],
        grid_1d(grads.len()),
    ));
    d
}

/// Returns (clipped gradients, norm), in f64 internally.
pub fn grad_clip_cpu(max_norm: f32, grads: &[f32]) -> (Vec<f32>, f32) {
    let norm = grads
        .iter()
        .map(|g| (*g as f64).powi(2))
        .sum::<f64>()
        .sqrt();
    let scale = (max_norm as f64 / (norm + 1e-6)).min(1.0);
    (
        grads.iter().map(|g| (*g as f64 * scale) as f32).collect(),
        norm as f32,
    )
}
