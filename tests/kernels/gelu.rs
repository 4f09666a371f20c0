use wgpu_ddpm::kernels::gelu::*;

use crate::activation::{self, Activation};
use crate::common::tol;
use crate::common::*;

fn gpu_gelu(x: &[f32]) -> Vec<f32> {
    let gpu = gpu();
    let (xg, yg) = (upload(&gpu, x, &[x.len()]), gpu.zeros(&[x.len()]));
    run(&gpu, [gelu(&gpu, &xg, &yg)]);
    gpu.read(&yg)
}

#[test]
fn erf_f64_matches_tabulated_values() {
    // erf to 16 digits (Abramowitz & Stegun table 7.1 / mpmath).
    for (x, want) in [
        (0.0, 0.0),
        (0.01, 0.011283415555849618),
        (0.5, 0.5204998778130465),
        (1.0, 0.8427007929497149),
        (-1.5, -0.9661051464753108),
        (2.0, 0.9953222650189527),
        (3.0, 0.9999779095030014),
        (4.5, 0.9999999998033839),
    ] {
        let got = erf_f64(x);
        assert!((got - want).abs() <= 1e-15, "erf({x}) = {got}, want {want}");
    }
    assert_eq!(erf_f64(7.0), 1.0);
    assert_eq!(erf_f64(-7.0), -1.0);
    // erfc in the tail, relative (mpmath): the reference of GELU for x << 0.
    for (x, want) in [
        (-1.0, 1.8427007929497148),
        (1.0, 0.15729920705028513),
        (2.0, 0.004677734981047266),
        (3.0, 2.209049699858544e-05),
        (5.0, 1.537459794428035e-12),
        (10.0, 2.088487583762545e-45),
    ] {
        let got = erfc_f64(x);
        assert!(
            ((got - want) / want).abs() <= 1e-14,
            "erfc({x}) = {got}, want {want}"
        );
    }
}

#[test]
fn gelu_erf_is_accurate() {
    // The WGSL erf seen through gelu on a dense grid of [-10, 10]: where |x| >= 0.25,
    // erf(x / sqrt 2) = 2 y / x - 1, off by erfc's own error r * erfc_rel_bound plus the
    // roundings of 2 - r and of y (6U); nearer 0, y itself, relative to it. At most 3.2e-6
    // (x = 0.25), where the Numerical Recipes fit alone is 1e-7.
    let x: Vec<f32> = (0..=40000).map(|i| -10.0 + i as f32 * 5e-4).collect();
    let y = gpu_gelu(&x);
    let mut worst = 0.0f64;
    for (x, y) in x.iter().zip(&y) {
        let (x, y) = (*x as f64, *y as f64);
        let a = x.abs() * std::f64::consts::FRAC_1_SQRT_2;
        let rel = erfc_rel_bound(a);
        let (err, bound) = if x.abs() >= 0.25 {
            let erf = erf_f64(x * std::f64::consts::FRAC_1_SQRT_2);
            let r = 1.0 - erf_f64(a);
            ((2.0 * y / x - 1.0 - erf).abs(), r * rel + 6.0 * tol::U)
        } else {
            let want = gelu_f64(x);
            ((y - want).abs(), want.abs() * (rel + 8.0 * tol::U))
        };
        worst = worst.max(err);
        assert!(
            err <= bound,
            "erf through gelu at x = {x}: error {err} > {bound}"
        );
    }
    println!("worst erf error {worst:e}");
}

#[test]
fn gelu_tail_keeps_relative_accuracy() {
    // For x < 0, Phi(x) = erfc(-x / sqrt 2) / 2 is tiny (2.9e-7 at -5); computing it as
    // 1 - erf would leave only absolute accuracy there: the relative error stays within
    // what WGSL allows the shader's erfc (`erfc_rel_bound`), 2.3e-5 at x = -9.
    let x: Vec<f32> = (0..=600).map(|i| -9.0 + i as f32 * 0.01).collect();
    let y = gpu_gelu(&x);
    for (x, y) in x.iter().zip(&y) {
        let want = gelu_f64(*x as f64);
        let rel = ((*y as f64 - want) / want).abs();
        let bound = erfc_rel_bound(*x as f64 * std::f64::consts::FRAC_1_SQRT_2);
        assert!(
            rel <= bound,
            "gelu({x}) = {y}, want {want}: relative error {rel} > {bound}"
        );
    }
}

/// The relative error WGSL allows the shader's erfc(a) (shaders/erf.wgsl): r = t exp(q - a^2)
/// with t = 1 / (1 + a/2) and q a degree-9 polynomial in t.
///  - exp: 3 + 2|q - a^2| ULP; its argument carries the roundings of a (from x / sqrt 2),
///    a * a and q - a^2 (about 3U a^2 + U |arg|) and of q: nine Horner steps on values
///    <= 1.49 with t <= 1 (27U), plus q's slope in t (<= 1.38) times t's error (a 2.5 ULP
///    division after one rounded add: 7U, so 10U);
///  - t's own 3.5 ULP and the products t * exp, 0.5 * erfc and x * Phi (4 roundings);
///  - the Numerical Recipes fit: 1.2e-7 relative.
fn erfc_rel_bound(a: f64) -> f64 {
    use tol::*;
    let arg = a * a + 1.5;
    exp_ulp(arg) * ULP_REL + U * (3.0 * a * a + arg + 27.0 + 10.0) + 7.5 * ULP_REL + 1.2e-7
}

/// Phi(x) = 0.5 erfc(-x / sqrt 2) as shaders/erf.wgsl computes it: erfc(|z|) = r within
/// `erfc_rel_bound` (which counts the 0.5 and the product with x as well); for z < 0 the
/// shader returns 2 - r, one more rounding.
fn phi_tracked(x: f32) -> tol::Tracked {
    let z = -(x as f64) * std::f64::consts::FRAC_1_SQRT_2;
    let r = erfc_f64(z.abs());
    let dr = r * erfc_rel_bound(z.abs());
    let (erfc, err) = if z >= 0.0 {
        (r, dr)
    } else {
        (2.0 - r, dr + tol::U * (2.0 - r + dr))
    };
    tol::Tracked {
        v: 0.5 * erfc,
        e: 0.5 * err,
    }
}

/// dx = g (Phi(v) + v pdf(v)), pdf = f32(1/sqrt(2 pi)) exp((-0.5 v) v), tracked.
fn gelu_grad_err(x: f32, g: f32) -> f64 {
    use tol::Tracked;
    let c = 1.0 / (2.0 * std::f64::consts::PI).sqrt();
    let arg = Tracked::exact(-0.5 * x).mul(Tracked::exact(x));
    let pdf = Tracked::held(c as f32, c).mul(arg.exp());
    let d = phi_tracked(x).add(Tracked::exact(x).mul(pdf));
    Tracked::exact(g).mul(d).e + f32::MIN_POSITIVE as f64
}

#[test]
fn gelu_forward_matches_cpu() {
    let mut rng = HostRng::new(60);
    for n in [1usize, 7, 255, 256, 257, 3 * 5 * 7 * 9] {
        let x: Vec<f32> = rng.vec_normal(n).iter().map(|v| 3.0 * v).collect();
        // y = x Phi(x), Phi from `phi_tracked`; WGSL may flush a subnormal result.
        let bounds: Vec<f64> = x
            .iter()
            .map(|x| {
                let y = tol::Tracked::exact(*x).mul(phi_tracked(*x));
                y.e + tol::U * y.v.abs() + f32::MIN_POSITIVE as f64
            })
            .collect();
        tol::assert_within("gelu", &gpu_gelu(&x), &gelu_cpu(&x), &bounds);
    }
}

const GELU: Activation = Activation {
    name: "gelu",
    backward: gelu_backward,
    backward_cpu: gelu_backward_cpu,
    f64: gelu_f64,
    graph: |g, x| g.gelu(x),
};

#[test]
fn gelu_backward_matches_cpu_and_accumulates() {
    activation::backward_within(&GELU, 61, 3.0, &[], gelu_grad_err);
}

#[test]
fn gelu_backward_finite_difference() {
    activation::backward_finite_difference(&GELU, 62, 2.0);
}

#[test]
fn graph_gelu_gradient_matches_finite_differences() {
    activation::graph_gradient(&GELU, 63, 2.0);
}
