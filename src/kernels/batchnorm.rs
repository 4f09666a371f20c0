//! BatchNorm2d: `shaders/batchnorm_stats.wgsl` + `shaders/batchnorm.wgsl` (training forward,
//! two passes), `shaders/batchnorm_eval.wgsl`, `shaders/batchnorm_backward_reduce.wgsl` and
//! `shaders/batchnorm_backward.wgsl` (training backward, two passes); shared Params in
//! `shaders/bn_params.wgsl`.
//!
//! Statistics are deterministic: one read of x sums d = x - K and d^2 with K the channel's
//! first value (shifted data, so no E[x^2] - E[x]^2 cancellation when the mean is large), one
//! partial per (channel, chunk of `BN_CHUNK` values) from a fixed-order tree reduction in a
//! workgroup; the next pass sums a channel's partials in chunk order. No atomics.

use bytemuck::{Pod, Zeroable};

use crate::gpu::{grid_1d, Dispatch, Gpu, GpuTensor};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BnShape {
    pub n: usize,
    pub c: usize,
    pub hw: usize,
}

impl BnShape {
    /// Values per channel (the batch-statistics population).
    pub fn m(&self) -> usize {
        self.n * self.hw
    }

    pub fn len(&self) -> usize {
        self.n * self.c * self.hw
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Workgroups (chunks) per channel in the reduction passes.
    pub fn chunks(&self) -> usize {
        self.m().div_ceil(BN_CHUNK).max(1)
    }
}

pub const BN_EPS: f32 = 1e-5;
pub const BN_MOMENTUM: f32 = 0.1;
/// Values of one channel reduced by one workgroup (256 threads x 8); matches `CHUNK` in WGSL.
pub const BN_CHUNK: usize = 2048;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    n: u32,
    c: u32,
    hw: u32,
    m: u32,
    chunks: u32,
    eps: f32,
    momentum: f32,
    /// Total element count (eval kernel only).
    total: u32,
}

fn params(s: &BnShape) -> Params {
    Params {
        n: s.n as u32,
        c: s.c as u32,
        hw: s.hw as u32,
        m: s.m() as u32,
        chunks: s.chunks() as u32,
        eps: BN_EPS,
        momentum: BN_MOMENTUM,
        total: s.len() as u32,
    }
}

#[track_caller]
fn check(what: &str, s: &BnShape, big: &[(&str, &GpuTensor)], per_channel: &[(&str, &GpuTensor)]) {
    assert!(s.c > 0 && s.m() > 0, "{what}: empty shape {s:?}");
    assert!(
        s.len() <= u32::MAX as usize,
        "{what}: shape {s:?} has more than 2^32 elements"
    );
    assert!(
        s.m() < 1 << 24,
        "{what}: shape {s:?} has more than 2^24 values per channel"
    );
    assert!(
        s.c <= 65535 && s.chunks() <= 65535,
        "{what}: shape {s:?} exceeds the workgroup grid"
    );
    for (name, t) in big {
        assert_eq!(
            t.len(),
            s.len(),
            "{what}: {name} has {} elements, shape {s:?} needs {}",
            t.len(),
            s.len()
        );
    }
    for (name, t) in per_channel {
        assert_eq!(
            t.len(),
            s.c,
            "{what}: {name} has {} elements, want one per channel ({})",
            t.len(),
            s.c
        );
    }
}

/// Training mode: batch mean and biased variance per channel (deterministic two-pass reduction,
/// no atomics), y = gamma*(x-mean)*invstd + beta (overwrites y), saves mean and invstd [c] for
/// backward, and updates running_mean/running_var in place with momentum 0.1 (running_var uses
/// the UNBIASED variance, as PyTorch). Three dispatches.
#[allow(clippy::too_many_arguments)]
pub fn batchnorm_train(
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
    check(
        "batchnorm_train",
        s,
        &[("x", x), ("y", y)],
        &[
            ("gamma", gamma),
            ("beta", beta),
            ("running_mean", running_mean),
            ("running_var", running_var),
            ("save_mean", save_mean),
            ("save_invstd", save_invstd),
        ],
    );
    assert!(
        s.m() > 1,
        "batchnorm_train: need more than one value per channel, got shape {s:?}"
    );
    let p = params(s);
    let groups = [s.chunks() as u32, s.c as u32, 1];
    let partial = gpu.zeros(&[s.c * s.chunks(), 2]);
    vec![
        gpu.dispatch(
            "batchnorm_stats",
            "batchnorm_stats",
            "main",
            &p,
            &[x, &partial],
            groups,
        ),
        gpu.dispatch(
            "batchnorm",
            "batchnorm",
            "main",
            &p,
            &[
                x,
                gamma,
                beta,
                running_mean,
                running_var,
                y,
                save_mean,
                save_invstd,
                &partial,
            ],
            groups,
        ),
    ]
}

/// Eval mode with running stats: y = gamma*(x-running_mean)/sqrt(running_var+eps) + beta.
#[allow(clippy::too_many_arguments)]
pub fn batchnorm_eval(
    gpu: &Gpu,
    s: &BnShape,
    x: &GpuTensor,
    gamma: &GpuTensor,
    beta: &GpuTensor,
    running_mean: &GpuTensor,
    running_var: &GpuTensor,
    y: &GpuTensor,
) -> Dispatch {
    check(
        "batchnorm_eval",
        s,
        &[("x", x), ("y", y)],
        &[
            ("gamma", gamma),
            ("beta", beta),
            ("running_mean", running_mean),
            ("running_var", running_var),
        ],
    );
    let p = params(s);
    gpu.dispatch(
        "batchnorm_eval",
        "batchnorm_eval",
        "main",
        &p,
        &[x, gamma, beta, running_mean, running_var, y],
        grid_1d(s.len()),
    )
}

/// Training-mode backward through the batch statistics; accumulates:
/// dx += gamma*invstd*(dy - mean(dy) - xhat*mean(dy*xhat)), dgamma += sum(dy*xhat),
/// dbeta += sum(dy), per channel. Two dispatches.
#[allow(clippy::too_many_arguments)]
pub fn batchnorm_backward(
    gpu: &Gpu,
    s: &BnShape,
    x: &GpuTensor,
    gamma: &GpuTensor,
    save_mean: &GpuTensor,
    save_invstd: &GpuTensor,
    dy: &GpuTensor,
    dx: &GpuTensor,
    dgamma: &GpuTensor,
    dbeta: &GpuTensor,
) -> Vec<Dispatch> {
    check(
        "batchnorm_backward",
        s,
        &[("x", x), ("dy", dy), ("dx", dx)],
        &[
            ("gamma", gamma),
            ("save_mean", save_mean),
            ("save_invstd", save_invstd),
            ("dgamma", dgamma),
            ("dbeta", dbeta),
        ],
    );
    let p = params(s);
    let groups = [s.chunks() as u32, s.c as u32, 1];
    let partial = gpu.zeros(&[2 * s.c * s.chunks()]);
    vec![
        gpu.dispatch(
            "batchnorm_backward_reduce",
            "batchnorm_backward_reduce",
            "main",
            &p,
            &[x, save_mean, save_invstd, dy, &partial],
            groups,
        ),
        gpu.dispatch(
            "batchnorm_backward",
            "batchnorm_backward",
            "main",
            &p,
            &[
                x,
                gamma,
                save_mean,
                save_invstd,
                dy,
                dx,
                dgamma,
                dbeta,
                &partial,
            ],
            groups,
        ),
    ]
}

fn at(s: &BnShape, ni: usize, ch: usize, j: usize) -> usize {
    (ni * s.c + ch) * s.hw + j
}

/// Channel means and biased variances (two-pass, f64).
pub fn batch_stats_f64(s: &BnShape, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
    assert_eq!(x.len(), s.len(), "batch_stats: x does not match {s:?}");
    let m = s.m() as f64;
    let mut mean = vec![0.0; s.c];
    let mut var = vec![0.0; s.c];
    for ch in 0..s.c {
        let vals = (0..s.n).flat_map(|ni| (0..s.hw).map(move |j| (ni, j)));
        let mu = vals.clone().map(|(ni, j)| x[at(s, ni, ch, j)]).sum::<f64>() / m;
        var[ch] = vals
            .map(|(ni, j)| (x[at(s, ni, ch, j)] - mu).powi(2))
            .sum::<f64>()
            / m;
        mean[ch] = mu;
    }
    (mean, var)
}

/// Training-mode forward in f64 (reference for finite differences): y only.
pub fn batchnorm_train_f64(s: &BnShape, x: &[f64], gamma: &[f64], beta: &[f64]) -> Vec<f64> {
    let (mean, var) = batch_stats_f64(s, x);
    let mut y = vec![0.0; s.len()];
    for (i, v) in y.iter_mut().enumerate() {
        let ch = (i / s.hw) % s.c;
        *v = gamma[ch] * (x[i] - mean[ch]) / (var[ch] + BN_EPS as f64).sqrt() + beta[ch];
    }
    y
}

fn to64(v: &[f32]) -> Vec<f64> {
    v.iter().map(|a| *a as f64).collect()
}

fn to32(v: &[f64]) -> Vec<f32> {
    v.iter().map(|a| *a as f32).collect()
}

/// CPU reference of `batchnorm_train` (computed in f64): returns (y, mean, invstd) and updates
/// the running stats in place.
pub fn batchnorm_train_cpu(
    s: &BnShape,
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    running_mean: &mut [f32],
    running_var: &mut [f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    assert!(
        gamma.len() == s.c && beta.len() == s.c,
        "batchnorm_train_cpu: gamma/beta need {} values",
        s.c
    );
    assert!(
        running_mean.len() == s.c && running_var.len() == s.c,
        "batchnorm_train_cpu: running stats"
    );
    let x = to64(x);
    let (mean, var) = batch_stats_f64(s, &x);
    let y = batchnorm_train_f64(s, &x, &to64(gamma), &to64(beta));
    let m = s.m() as f64;
    let mom = BN_MOMENTUM as f64;
    for ch in 0..s.c {
        running_mean[ch] = ((1.0 - mom) * running_mean[ch] as f64 + mom * mean[ch]) as f32;
        let unbiased = var[ch] * m / (m - 1.0);
        running_var[ch] = ((1.0 - mom) * running_var[ch] as f64 + mom * unbiased) as f32;
    }
    let invstd: Vec<f64> = var
        .iter()
        .map(|v| 1.0 / (v + BN_EPS as f64).sqrt())
        .collect();
    (to32(&y), to32(&mean), to32(&invstd))
}

/// CPU reference of `batchnorm_eval`.
pub fn batchnorm_eval_cpu(
    s: &BnShape,
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    running_mean: &[f32],
    running_var: &[f32],
) -> Vec<f32> {
    assert_eq!(
        x.len(),
        s.len(),
        "batchnorm_eval_cpu: x does not match {s:?}"
    );
    (0..s.len())
        .map(|i| {
            let ch = (i / s.hw) % s.c;
            let invstd = 1.0 / (running_var[ch] as f64 + BN_EPS as f64).sqrt();
            ((x[i] as f64 - running_mean[ch] as f64) * invstd * gamma[ch] as f64 + beta[ch] as f64)
                as f32
        })
        .collect()
}

/// CPU reference of `batchnorm_backward` (computed in f64): the plain gradients (dx, dgamma,
/// dbeta), not accumulated.
pub fn batchnorm_backward_cpu(
    s: &BnShape,
    x: &[f32],
    gamma: &[f32],
    mean: &[f32],
    invstd: &[f32],
    dy: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    assert!(
        x.len() == s.len() && dy.len() == s.len(),
        "batchnorm_backward_cpu: x/dy do not match {s:?}"
    );
    let m = s.m() as f64;
    let xhat = |i: usize, ch: usize| (x[i] as f64 - mean[ch] as f64) * invstd[ch] as f64;
    let mut sdy = vec![0.0f64; s.c];
    let mut sdx = vec![0.0f64; s.c];
    for (i, g) in dy.iter().enumerate() {
        let ch = (i / s.hw) % s.c;
        sdy[ch] += *g as f64;
        sdx[ch] += *g as f64 * xhat(i, ch);
    }
    let dx = (0..s.len())
        .map(|i| {
            let ch = (i / s.hw) % s.c;
            let scale = gamma[ch] as f64 * invstd[ch] as f64;
            (scale * (dy[i] as f64 - sdy[ch] / m - xhat(i, ch) * sdx[ch] / m)) as f32
        })
        .collect();
    (dx, to32(&sdx), to32(&sdy))
}
