//! Backward of eval-mode BatchNorm (running statistics frozen), for gradients through a
//! sampler: `shaders/batchnorm_eval_backward.wgsl` (input gradient) and
//! `shaders/batchnorm_eval_backward_params.wgsl` (gamma and beta gradients, one workgroup per
//! channel, deterministic). The forward is `batchnorm::batchnorm_eval`; with frozen
//! statistics the layer is a per-channel affine map, so
//! dx = gamma invstd dy, dgamma = sum dy xhat, dbeta = sum dy (xhat = (x - mean) invstd).

use super::batchnorm::{self, BnShape, BN_EPS, CONSTANTS};
use crate::gpu::shape::{expect_len, expect_u32};
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

crate::bindings! {
    for batchnorm_eval_backward {
        gamma: read,
        running_var: read,
        dy | dy4: read,
        dx | dx4: read_write,
    }
    for batchnorm_eval_backward_params {
        x: read,
        running_mean: read,
        running_var: read,
        dy: read,
        dgamma: read_write,
        dbeta: read_write,
    }
}

/// x, dy, dx are [n, c, hw]; the rest [c]. Accumulates: dx += gamma invstd dy, and (when
/// `params` holds (dgamma, dbeta)) dgamma += sum dy xhat, dbeta += sum dy per channel.
pub fn batchnorm_eval_backward(
    gpu: &Gpu,
    n: usize,
    c: usize,
    hw: usize,
    x: &GpuTensor,
    gamma: &GpuTensor,
    running_mean: &GpuTensor,
    running_var: &GpuTensor,
    dy: &GpuTensor,
    dx: Option<&GpuTensor>,
    params: Option<(&GpuTensor, &GpuTensor)>,
) -> Vec<Dispatch> {
    let op = "batchnorm_eval_backward";
    let len = n * c * hw;
    assert!(len > 0, "{op}: empty shape");
    expect_u32(op, len);
    expect_len(op, "x", x, len, "[n, c, hw]");
    expect_len(op, "dy", dy, len, "[n, c, hw]");
    expect_len(op, "gamma", gamma, c, "[c]");
    expect_len(op, "running_mean", running_mean, c, "[c]");
    expect_len(op, "running_var", running_var, c, "[c]");
    let p = batchnorm::params(&BnShape { n, c, hw }, 1);
    let mut out = Vec::new();
    if let Some(dx) = dx {
        expect_len(op, "dx", dx, len, "[n, c, hw]");
        // The vec4 entry finds the channel with udiv, exact below 2^24.
        let vec4 = hw.is_multiple_of(4)
            && len / 4 < 1 << 24
            && dy.offset.is_multiple_of(16)
            && dx.offset.is_multiple_of(16);
        let (entry, width) = if vec4 { ("main_vec4", 4) } else { ("main", 1) };
        out.push(gpu.dispatch_with(
            "batchnorm_eval_backward",
            id::batchnorm_eval_backward,
            entry,
            CONSTANTS,
            &p,
            &[gamma, running_var, dy, dx],
            grid_1d(len / width),
        ));
    }
    if let Some((dgamma, dbeta)) = params {
        // The params pass walks a channel with udiv (as the training passes, which have the
        // same limit).
        assert!(
            n * hw < 1 << 24,
            "{op}: shape {n}x{c}x{hw} has more than 2^24 values per channel"
        );
        expect_len(op, "dgamma", dgamma, c, "[c]");
        expect_len(op, "dbeta", dbeta, c, "[c]");
        out.push(gpu.dispatch_with(
            "batchnorm_eval_backward_params",
            id::batchnorm_eval_backward_params,
            "main",
            CONSTANTS,
            &p,
            &[x, running_mean, running_var, dy, dgamma, dbeta],
            [c as u32, 1, 1],
        ));
    }
    out
}

/// CPU reference (f64 sums): the fresh gradients (dx, dgamma, dbeta).
pub fn batchnorm_eval_backward_cpu(
    n: usize,
    c: usize,
    hw: usize,
    x: &[f32],
    gamma: &[f32],
    running_mean: &[f32],
    running_var: &[f32],
    dy: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let invstd: Vec<f64> = running_var
        .iter()
        .map(|v| 1.0 / (*v as f64 + BN_EPS as f64).sqrt())
        .collect();
    let mut dx = vec![0.0; n * c * hw];
    let (mut dg, mut db) = (vec![0.0f64; c], vec![0.0f64; c]);
    for (i, d) in dx.iter_mut().enumerate() {
        let ch = (i / hw) % c;
        let g = dy[i] as f64;
        *d = (gamma[ch] as f64 * invstd[ch] * g) as f32;
        db[ch] += g;
        dg[ch] += g * (x[i] as f64 - running_mean[ch] as f64) * invstd[ch];
    }
    let f = |v: Vec<f64>| v.into_iter().map(|a| a as f32).collect();
    (dx, f(dg), f(db))
}
