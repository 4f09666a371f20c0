//! BatchNorm2d followed by ReLU as one op: the normalise pass writes relu(bn(x)) and the
//! backward passes mask dy by the sign of that output, so no separate ReLU pass runs either
//! way. Shaders: the `main_relu` entries of `shaders/batchnorm.wgsl`,
//! `shaders/batchnorm_eval.wgsl`, `shaders/batchnorm_backward_reduce.wgsl` and
//! `shaders/batchnorm_backward.wgsl` (statistics: `shaders/batchnorm_stats.wgsl`).

use super::batchnorm::{self, BnShape};
use crate::gpu::{Dispatch, Gpu, GpuTensor};

/// Training forward: y = relu(bn(x)) with batch statistics; updates the running stats and
/// saves mean and invstd for backward, as `batchnorm_train`.
#[allow(clippy::too_many_arguments)]
pub fn batchnorm_relu_train(
    gpu: &Gpu,
    s: &BnShape,
    x: &GpuTensor,
    gamma: &GpuTensor,
    beta: &GpuTensor,
    running_mean: &GpuTensor,
    running_var: &GpuTensor,
    y: &GpuTensor,
    save_mean: &GpuTensor,
    save_invstd: &GpuTensor,
) -> Vec<Dispatch> {
    let stats = [running_mean, running_var, save_mean, save_invstd];
    batchnorm::train(gpu, s, x, gamma, beta, stats, y, true)
}

/// Eval forward with running stats: y = relu(bn(x)).
#[allow(clippy::too_many_arguments)]
pub fn batchnorm_relu_eval(
    gpu: &Gpu,
    s: &BnShape,
    x: &GpuTensor,
    gamma: &GpuTensor,
    beta: &GpuTensor,
    running_mean: &GpuTensor,
    running_var: &GpuTensor,
    y: &GpuTensor,
) -> Dispatch {
    batchnorm::eval(gpu, s, x, gamma, beta, running_mean, running_var, y, true)
}

/// Backward of the training forward, given its output `y`: dy is masked by y > 0, then
/// dx, dgamma and dbeta accumulate as in `batchnorm_backward`. Two dispatches.
#[allow(clippy::too_many_arguments)]
pub fn batchnorm_relu_backward(
    gpu: &Gpu,
    s: &BnShape,
    x: &GpuTensor,
    gamma: &GpuTensor,
    save_mean: &GpuTensor,
    save_invstd: &GpuTensor,
    y: &GpuTensor,
    dy: &GpuTensor,
    dx: &GpuTensor,
    dgamma: &GpuTensor,
    dbeta: &GpuTensor,
) -> Vec<Dispatch> {
    let saved = [save_mean, save_invstd];
    batchnorm::backward(gpu, s, x, gamma, saved, dy, Some(y), [dx, dgamma, dbeta])
}

/// CPU reference of the backward: dy masked by the sign of the forward output `y`, then the
/// batchnorm backward reference. Returns (dx, dgamma, dbeta).
#[allow(clippy::too_many_arguments)]
pub fn batchnorm_relu_backward_cpu(
    s: &BnShape,
    x: &[f32],
    gamma: &[f32],
    mean: &[f32],
    invstd: &[f32],
    y: &[f32],
    dy: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let masked: Vec<f32> = dy
        .iter()
        .zip(y)
        .map(|(g, v)| if *v > 0.0 { *g } else { 0.0 })
        .collect();
    batchnorm::batchnorm_backward_cpu(s, x, gamma, mean, invstd, &masked)
}
