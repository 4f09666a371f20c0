//! CPU references shared by the norms (batchnorm, group_norm, layer_norm). Each normalises
//! populations of values (a channel over the batch, an (image, group), a row) by their mean
//! and biased variance and applies gamma, beta of the value's channel; a [`NormLayout`] says
//! which population and channel value i belongs to. Sums in f64, in value order.

/// Where each value of a norm's input sits.
pub trait NormLayout: std::fmt::Debug {
    /// The op, for messages.
    const OP: &'static str;
    const EPS: f32;
    /// Values in the input.
    fn values(&self) -> usize;
    /// Populations normalised: the length of the saved mean and rstd.
    fn populations(&self) -> usize;
    /// Affine channels: the length of gamma and beta.
    fn channels(&self) -> usize;
    /// The population and the affine channel of value `i`.
    fn at(&self, i: usize) -> (usize, usize);
}

pub(crate) fn to64(v: &[f32]) -> Vec<f64> {
    v.iter().map(|a| *a as f64).collect()
}

pub(crate) fn to32(v: &[f64]) -> Vec<f32> {
    v.iter().map(|a| *a as f32).collect()
}

/// Mean and biased variance of each population, two-pass in f64.
pub fn norm_stats_f64<S: NormLayout>(s: &S, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
    assert_eq!(x.len(), s.values(), "{}: x does not match {s:?}", S::OP);
    let pops = s.populations();
    let mut count = vec![0usize; pops];
    let mut mean = vec![0.0f64; pops];
    for (i, v) in x.iter().enumerate() {
        let (r, _) = s.at(i);
        count[r] += 1;
        mean[r] += v;
    }
    for (m, k) in mean.iter_mut().zip(&count) {
        *m /= *k as f64;
    }
    let mut var = vec![0.0f64; pops];
    for (i, v) in x.iter().enumerate() {
        let (r, _) = s.at(i);
        var[r] += (v - mean[r]).powi(2);
    }
    for (v, k) in var.iter_mut().zip(&count) {
        *v /= *k as f64;
    }
    (mean, var)
}

/// Forward in f64 (reference for finite differences): y only.
pub fn norm_f64<S: NormLayout>(s: &S, x: &[f64], gamma: &[f64], beta: &[f64]) -> Vec<f64> {
    let (mean, var) = norm_stats_f64(s, x);
    (0..s.values())
        .map(|i| {
            let (r, ch) = s.at(i);
            gamma[ch] * (x[i] - mean[r]) / (var[r] + S::EPS as f64).sqrt() + beta[ch]
        })
        .collect()
}

/// rstd = 1 / sqrt(var + eps) of each population.
pub fn rstd_f64<S: NormLayout>(var: &[f64]) -> Vec<f64> {
    var.iter()
        .map(|v| 1.0 / (v + S::EPS as f64).sqrt())
        .collect()
}

/// Forward computed in f64 from f32 data: (y, mean, rstd).
pub fn norm_cpu<S: NormLayout>(
    s: &S,
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    assert!(
        gamma.len() == s.channels() && beta.len() == s.channels(),
        "{}_cpu: gamma/beta need {} values",
        S::OP,
        s.channels()
    );
    let x = to64(x);
    let (mean, var) = norm_stats_f64(s, &x);
    let y = norm_f64(s, &x, &to64(gamma), &to64(beta));
    (to32(&y), to32(&mean), to32(&rstd_f64::<S>(&var)))
}

/// Backward from the saved mean and rstd, computed in f64: the plain gradients (dx, dgamma,
/// dbeta), not accumulated. With g = gamma * dy, xhat = (x - mean) * rstd and means over the
/// population: dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), dgamma = sum dy * xhat,
/// dbeta = sum dy per channel.
pub fn norm_backward_cpu<S: NormLayout>(
    s: &S,
    x: &[f32],
    gamma: &[f32],
    mean: &[f32],
    rstd: &[f32],
    dy: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    assert!(
        x.len() == s.values() && dy.len() == s.values(),
        "{}_backward_cpu: x/dy do not match {s:?}",
        S::OP
    );
    let pops = s.populations();
    let xhat = |i: usize| {
        let (r, _) = s.at(i);
        (x[i] as f64 - mean[r] as f64) * rstd[r] as f64
    };
    let mut count = vec![0usize; pops];
    let (mut sg, mut sgx) = (vec![0.0f64; pops], vec![0.0f64; pops]);
    let (mut dgamma, mut dbeta) = (vec![0.0f64; s.channels()], vec![0.0f64; s.channels()]);
    for (i, d) in dy.iter().enumerate() {
        let (r, ch) = s.at(i);
        let d = *d as f64;
        count[r] += 1;
        sg[r] += gamma[ch] as f64 * d;
        sgx[r] += gamma[ch] as f64 * d * xhat(i);
        dbeta[ch] += d;
        dgamma[ch] += d * xhat(i);
    }
    let dx: Vec<f64> = (0..s.values())
        .map(|i| {
            let (r, ch) = s.at(i);
            let (g, m) = (gamma[ch] as f64 * dy[i] as f64, count[r] as f64);
            rstd[r] as f64 * (g - sg[r] / m - xhat(i) * sgx[r] / m)
        })
        .collect();
    (to32(&dx), to32(&dgamma), to32(&dbeta))
}
