//! CPU references of the batchnorm kernels (f64 accumulation).

use super::{BnShape, BN_EPS, BN_MOMENTUM};

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
