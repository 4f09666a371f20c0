//! CPU references of the group_norm kernels (f64 accumulation).

use super::{GnShape, GN_EPS};

/// Mean and biased variance of each (image, group), two-pass in f64; [n * groups] each.
pub fn group_stats_f64(s: &GnShape, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
    assert_eq!(x.len(), s.len(), "group_stats: x does not match {s:?}");
    let m = s.m();
    x.chunks(m)
        .map(|g| {
            let mu = g.iter().sum::<f64>() / m as f64;
            (
                mu,
                g.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / m as f64,
            )
        })
        .unzip()
}

/// Forward in f64 (reference for finite differences): y only.
pub fn group_norm_f64(s: &GnShape, x: &[f64], gamma: &[f64], beta: &[f64]) -> Vec<f64> {
    let (mean, var) = group_stats_f64(s, x);
    (0..s.len())
        .map(|i| {
            let (r, ch) = (i / s.m(), (i / s.hw) % s.c);
            gamma[ch] * (x[i] - mean[r]) / (var[r] + GN_EPS as f64).sqrt() + beta[ch]
        })
        .collect()
}

fn to64(v: &[f32]) -> Vec<f64> {
    v.iter().map(|a| *a as f64).collect()
}

fn to32(v: &[f64]) -> Vec<f32> {
    v.iter().map(|a| *a as f32).collect()
}

/// CPU reference of `group_norm` (computed in f64): (y, mean, rstd).
pub fn group_norm_cpu(
    s: &GnShape,
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    assert!(
        gamma.len() == s.c && beta.len() == s.c,
        "group_norm_cpu: gamma/beta need {} values",
        s.c
    );
    let x = to64(x);
    let (mean, var) = group_stats_f64(s, &x);
    let y = group_norm_f64(s, &x, &to64(gamma), &to64(beta));
    let rstd: Vec<f64> = var
        .iter()
        .map(|v| 1.0 / (v + GN_EPS as f64).sqrt())
        .collect();
    (to32(&y), to32(&mean), to32(&rstd))
}

/// CPU reference of `group_norm_backward` (computed in f64): the plain gradients (dx,
/// dgamma, dbeta), not accumulated.
pub fn group_norm_backward_cpu(
    s: &GnShape,
    x: &[f32],
    gamma: &[f32],
    mean: &[f32],
    rstd: &[f32],
    dy: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    assert!(
        x.len() == s.len() && dy.len() == s.len(),
        "group_norm_backward_cpu: x/dy do not match {s:?}"
    );
    let m = s.m() as f64;
    let at = |i: usize| (i / s.m(), (i / s.hw) % s.c);
    let xhat = |i: usize| {
        let (r, _) = at(i);
        (x[i] as f64 - mean[r] as f64) * rstd[r] as f64
    };
    let (mut sg, mut sgx) = (vec![0.0f64; s.rows()], vec![0.0f64; s.rows()]);
    let (mut dgamma, mut dbeta) = (vec![0.0f64; s.c], vec![0.0f64; s.c]);
    for (i, d) in dy.iter().enumerate() {
        let (r, ch) = at(i);
        let d = *d as f64;
        sg[r] += gamma[ch] as f64 * d;
        sgx[r] += gamma[ch] as f64 * d * xhat(i);
        dbeta[ch] += d;
        dgamma[ch] += d * xhat(i);
    }
    let dx: Vec<f64> = (0..s.len())
        .map(|i| {
            let (r, ch) = at(i);
            let g = gamma[ch] as f64 * dy[i] as f64;
            rstd[r] as f64 * (g - sg[r] / m - xhat(i) * sgx[r] / m)
        })
        .collect();
    (to32(&dx), to32(&dgamma), to32(&dbeta))
}
