use wgpu_ddpm::kernels::gelu::*;

use crate::activation::{self, Activation};
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
fn gelu_erf_is_accurate_to_1e6() {
    // The WGSL erf seen through gelu on a dense grid of [-10, 10]: where |x| >= 0.25,
    // erf(x / sqrt 2) = 2 y / x - 1 (f32 rounding of y and of the division add < 2e-7);
    // nearer 0, y itself.
    let x: Vec<f32> = (0..=40000).map(|i| -10.0 + i as f32 * 5e-4).collect();
    let y = gpu_gelu(&x);
    let mut worst = 0.0f64;
    for (x, y) in x.iter().zip(&y) {
        let (x, y) = (*x as f64, *y as f64);
        let err = if x.abs() >= 0.25 {
            (2.0 * y / x - 1.0 - erf_f64(x * std::f64::consts::FRAC_1_SQRT_2)).abs()
        } else {
            (y - gelu_f64(x)).abs()
        };
        worst = worst.max(err);
        assert!(err <= 1e-6, "erf through gelu at x = {x}: error {err}");
    }
    println!("worst erf error {worst:e}");
}

#[test]
fn gelu_tail_keeps_relative_accuracy() {
    // For x < 0, Phi(x) = erfc(-x / sqrt 2) / 2 is tiny (2.9e-7 at -5); computing it as
    // 1 - erf would leave only absolute accuracy there.
    let x: Vec<f32> = (0..=600).map(|i| -9.0 + i as f32 * 0.01).collect();
    let y = gpu_gelu(&x);
    for (x, y) in x.iter().zip(&y) {
        let want = gelu_f64(*x as f64);
        let rel = ((*y as f64 - want) / want).abs();
        assert!(
            rel <= 1e-5,
            "gelu({x}) = {y}, want {want}: relative error {rel}"
        );
    }
}

#[test]
fn gelu_forward_matches_cpu() {
    let mut rng = HostRng::new(60);
    for n in [1usize, 7, 255, 257, 3 * 5 * 7 * 9] {
        let x: Vec<f32> = rng.vec_normal(n).iter().map(|v| 3.0 * v).collect();
        // erf ~3e-7 absolute times |x| <= ~12, plus f32 rounding.
        assert_close("gelu", &gpu_gelu(&x), &gelu_cpu(&x), 4e-6, 1e-6);
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
    activation::backward_accumulates(&GELU, 61, 3.0, &[], 2e-6, 1e-6);
}

#[test]
fn gelu_backward_finite_difference() {
    activation::backward_finite_difference(&GELU, 62, 2.0);
}

#[test]
fn graph_gelu_gradient_matches_finite_differences() {
    activation::graph_gradient(&GELU, 63, 2.0);
}
