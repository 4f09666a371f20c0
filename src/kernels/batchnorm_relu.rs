//! BatchNorm2d followed by ReLU as one op: the normalise pass writes relu(bn(x)) and the
//! backward passes mask dy by the sign of that output, so no separate ReLU pass runs either
//! way. Launched by the batchnorm launchers with `BnOut::Relu` (forward) and the forward's
//! output as `relu_out` (backward); shaders: the `main_relu` entries of
//! `shaders/batchnorm.wgsl`, `shaders/batchnorm_eval.wgsl`,
//! `shaders/batchnorm_backward_reduce.wgsl` and `shaders/batchnorm_backward.wgsl`
//! (statistics: `shaders/batchnorm_stats.wgsl`).

use super::batchnorm::{self, BnShape};

/// CPU reference of the backward: dy masked by the sign of the forward output `y`, then the
/// batchnorm backward reference. Returns (dx, dgamma, dbeta).
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
