//! CPU references of the batchnorm kernels: training mode is the shared norm references
//! (`src/kernels/norm_reference.rs`) with a channel per population (`batchnorm_train_f64`,
//! y in f64 for finite differences; `batchnorm_backward_cpu`, the plain gradients (dx,
//! dgamma, dbeta) from the saved mean and invstd, not accumulated), plus the running-stat
//! update; eval mode uses the running statistics.

use super::{BnShape, BN_EPS, BN_MOMENTUM};
pub use crate::kernels::norm_reference::{
    norm_backward_cpu as batchnorm_backward_cpu, norm_f64 as batchnorm_train_f64,
};
use crate::kernels::norm_reference::{norm_cpu, norm_stats_f64, to64, NormLayout};

impl NormLayout for BnShape {
    const OP: &'static str = "batchnorm";
    const EPS: f32 = BN_EPS;

    fn values(&self) -> usize {
        self.len()
    }

    fn populations(&self) -> usize {
        self.c
    }

    fn channels(&self) -> usize {
        self.c
    }

    fn at(&self, i: usize) -> (usize, usize) {
        let ch = (i / self.hw) % self.c;
        (ch, ch)
    }
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
        running_mean.len() == s.c && running_var.len() == s.c,
        "batchnorm_train_cpu: running stats"
    );
    let out = norm_cpu(s, x, gamma, beta);
    let (mean, var) = norm_stats_f64(s, &to64(x));
    let m = s.m() as f64;
    let mom = BN_MOMENTUM as f64;
    for ch in 0..s.c {
        running_mean[ch] = ((1.0 - mom) * running_mean[ch] as f64 + mom * mean[ch]) as f32;
        let unbiased = var[ch] * m / (m - 1.0);
        running_var[ch] = ((1.0 - mom) * running_var[ch] as f64 + mom * unbiased) as f32;
    }
    out
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
