//! How far the normalisation kernels' f32 statistics and outputs may lie from the f64
//! references, along what `shaders/norm_moments.wgsl` computes (docs/tolerances.md): shifted
//! sums S1 = sum d, S2 = sum d^2 of d = x - x_0, reduced by a fixed tree in which each term
//! is added at most `depth` times (so gamma(depth), not gamma(count), of the terms'
//! magnitudes: Higham 4.2), then dmean = S1 / n, ssd = S2 - S1 dmean, mean = x_0 + dmean,
//! rstd = 1 / sqrt(ssd / n + eps).

use crate::common::tol::{gamma, DIV_ULP, SQRT_ULP, U, ULP_REL};

/// Reference values (f64) and the absolute error bounds of the GPU's f32 ones.
pub struct Moments {
    pub mean: f64,
    pub mean_err: f64,
    pub rstd: f64,
    /// relative
    pub rstd_rel: f64,
    /// sum of squared deviations
    pub ssd: f64,
    pub ssd_err: f64,
}

fn compose(a: f64, b: f64) -> f64 {
    a + b + a * b
}

/// The statistics of `values` (in the kernel's order: the first is the shift) summed with
/// the given tree `depth`, normalised with `eps`.
pub fn moments(values: &[f32], depth: usize, eps: f32) -> Moments {
    let n = values.len() as f64;
    let k0 = values[0] as f64;
    let d: Vec<f64> = values.iter().map(|v| *v as f64 - k0).collect();
    let (s1, a1) = (
        d.iter().sum::<f64>(),
        d.iter().map(|v| v.abs()).sum::<f64>(),
    );
    let s2: f64 = d.iter().map(|v| v * v).sum();
    // d rounds once; d * d three times (the rounded d squared, the product).
    let (e1, e2) = (gamma(depth + 1) * a1, gamma(depth + 3) * s2);
    let div = DIV_ULP * ULP_REL;
    let dm = s1 / n;
    let e_dm = e1 / n + div * (dm.abs() + e1 / n);
    let e_prod = s1.abs() * e_dm + e1 * (dm.abs() + e_dm);
    let e_prod = e_prod + U * (s1.abs() + e1) * (dm.abs() + e_dm);
    let ssd = s2 - s1 * dm;
    let ssd_err = e2 + e_prod + U * (ssd + e2 + e_prod);
    let mean = k0 + dm;
    let mean_err = e_dm + U * (mean.abs() + e_dm);
    // var = ssd / n; v = var + f32(eps) (f32(eps) itself U off the reference's).
    let var = ssd / n;
    let e_var = ssd_err / n + div * (var + ssd_err / n);
    let v = var + eps as f64;
    let e_v = e_var + U * eps as f64 + U * (v + e_var);
    let rstd_rel = rstd_rel(e_v / v);
    Moments {
        mean,
        mean_err,
        rstd: 1.0 / v.sqrt(),
        rstd_rel,
        ssd,
        ssd_err,
    }
}

/// Given statistics (eval mode's running mean and variance, exact in f32):
/// rstd = 1 / sqrt(var + eps) carries the add's rounding, f32(eps)'s, sqrt's and the
/// division's.
pub fn given(mean: f32, var: f32, eps: f32) -> Moments {
    let v = var as f64 + eps as f64;
    let r = U * eps as f64 + U * v;
    Moments {
        mean: mean as f64,
        mean_err: 0.0,
        rstd: 1.0 / v.sqrt(),
        rstd_rel: rstd_rel(r / v),
        ssd: 0.0,
        ssd_err: 0.0,
    }
}

/// The relative error of 1 / sqrt(v) from v's relative error `r`:
/// |sqrt(1 + x) - 1| <= |x| / (1 + sqrt(1 - |x|)); then sqrt's ULP, 1 / (1 + r), 2.5 ULP.
fn rstd_rel(r: f64) -> f64 {
    let r = compose(r / (1.0 + (1.0 - r).sqrt()), SQRT_ULP * ULP_REL);
    compose(r / (1.0 - r), DIV_ULP * ULP_REL)
}

/// Bound on y = (x - mean) * (g * rstd) + b against the reference rounded once.
pub fn y_bound(m: &Moments, x: f32, g: f32, b: f32) -> f64 {
    let xm = x as f64 - m.mean;
    let e_xm = m.mean_err + U * (xm.abs() + m.mean_err);
    let scale = (g as f64).abs() * m.rstd;
    let rel = compose(compose(m.rstd_rel, U), U);
    let e_p = scale * (e_xm + (xm.abs() + e_xm) * rel);
    let y = xm * g as f64 * m.rstd + b as f64;
    e_p + U * (y.abs() + e_p) + U * y.abs()
}

/// Bound on a running statistic (1 - mom) * old + mom * new, where the GPU's `new` is off by
/// `new_err`: f32(mom), 1 - mom, two products and the add round once each; the reference
/// rounds the result once.
pub fn running_bound(mom: f32, old: f32, new: f64, new_err: f64) -> f64 {
    let mom = mom as f64;
    let mag = (1.0 - mom) * (old as f64).abs() + mom * (new.abs() + new_err);
    mom * new_err + gamma(5) * mag + U * ((1.0 - mom) * old as f64 + mom * new).abs()
}
