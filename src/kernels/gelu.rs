//! GELU, exact (erf) form as PyTorch's default `approximate='none'`: `shaders/gelu.wgsl`,
//! `shaders/gelu_backward.wgsl`, erf from the library `shaders/erf.wgsl`.

use super::activation;
use crate::gpu::{id, Dispatch, Gpu, GpuTensor};

/// y = x * Phi(x)  (overwrites y)
pub fn gelu(gpu: &Gpu, x: &GpuTensor, y: &GpuTensor) -> Dispatch {
    activation::forward(gpu, "gelu", id::gelu, x, y)
}

/// dx += dy * (Phi(x) + x * phi(x))
pub fn gelu_backward(gpu: &Gpu, x: &GpuTensor, dy: &GpuTensor, dx: &GpuTensor) -> Dispatch {
    activation::backward(gpu, "gelu_backward", id::gelu_backward, x, dy, dx)
}

/// erf in f64 for the CPU references (std has none). For |x| < 6 the series
/// erf(x) = 2 / sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1 * 3 * ... * (2n + 1)),
/// whose terms are all positive (no cancellation, relative error ~1e-15); beyond, erf is
/// +-1 to within 2.2e-17.
pub fn erf_f64(x: f64) -> f64 {
    let a = x.abs();
    if a >= 6.0 || x.is_nan() {
        return x.signum();
    }
    let (mut term, mut sum) = (a, a);
    let mut k = 1.0;
    while term > sum * 1e-17 {
        k += 2.0;
        term *= 2.0 * a * a / k;
        sum += term;
    }
    (std::f64::consts::FRAC_2_SQRT_PI * (-a * a).exp() * sum).copysign(x)
}

/// erfc in f64 with relative accuracy in the tail: 1 - erf below 2 (erfc > 0.0046 there,
/// so the subtraction costs nothing that matters), else the continued fraction
/// erfc(x) = exp(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))), evaluated
/// from 100 terms deep (relative error ~1e-15).
pub fn erfc_f64(x: f64) -> f64 {
    if x.is_nan() || x < 2.0 {
        return 1.0 - erf_f64(x);
    }
    let mut t = x;
    for k in (1..=100).rev() {
        t = x + k as f64 * 0.5 / t;
    }
    (-x * x).exp() / (std::f64::consts::PI.sqrt() * t)
}

/// Standard normal CDF in f64, Phi(x) = erfc(-x / sqrt 2) / 2 (relative accuracy for x << 0).
pub fn normal_cdf_f64(x: f64) -> f64 {
    0.5 * erfc_f64(-x * std::f64::consts::FRAC_1_SQRT_2)
}

pub fn gelu_f64(x: f64) -> f64 {
    x * normal_cdf_f64(x)
}

/// d gelu / dx in f64.
pub fn gelu_grad_f64(x: f64) -> f64 {
    let pdf = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
    normal_cdf_f64(x) + x * pdf
}

pub fn gelu_cpu(x: &[f32]) -> Vec<f32> {
    x.iter().map(|v| gelu_f64(*v as f64) as f32).collect()
}

/// Returns the gradient contribution (the GPU kernel adds it into `dx`).
pub fn gelu_backward_cpu(x: &[f32], dy: &[f32]) -> Vec<f32> {
    x.iter()
        .zip(dy)
        .map(|(x, g)| (*g as f64 * gelu_grad_f64(*x as f64)) as f32)
        .collect()
}
