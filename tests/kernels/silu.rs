use wgpu_ddpm::kernels::silu::*;

use crate::activation::{self, Activation};
use crate::common::tol;
use crate::common::*;

#[test]
fn silu_forward_matches_cpu() {
    let gpu = gpu();
    let mut rng = HostRng::new(70);
    for n in [1usize, 7, 255, 256, 257, 3 * 5 * 7 * 9] {
        let mut x: Vec<f32> = rng.vec_normal(n).iter().map(|v| 4.0 * v).collect();
        // exp(-x) overflows f32 below x = -88.7: the result must still be -0, not NaN.
        x[0] = -100.0;
        let (xg, yg) = (upload(&gpu, &x, &[n]), gpu.zeros(&[n]));
        run(&gpu, [silu(&gpu, &xg, &yg)]);
        // y = x / (1 + e), e = exp(-x): e's 3 + 2|x| ULP reach y scaled by e / (1 + e), then
        // a rounded add and a 2.5 ULP division; the reference rounds once. WGSL may flush
        // the subnormal result at x = -100 to zero.
        let bounds: Vec<f64> = x
            .iter()
            .zip(silu_cpu(&x))
            .map(|(x, y)| {
                let e = (-*x as f64).exp();
                let ulps = tol::exp_ulp(*x as f64) * e / (1.0 + e) + 1.0 + tol::DIV_ULP;
                tol::bound(ulps, 1, y.abs() as f64) + f32::MIN_POSITIVE as f64
            })
            .collect();
        tol::assert_within("silu", &gpu.read(&yg), &silu_cpu(&x), &bounds);
    }
}

const SILU: Activation = Activation {
    name: "silu",
    backward: silu_backward,
    backward_cpu: silu_backward_cpu,
    f64: silu_f64,
    graph: |g, x| g.silu(x),
};

#[test]
fn silu_backward_matches_cpu_and_accumulates() {
    activation::backward_within(&SILU, 71, 4.0, &[-100.0, 100.0], silu_grad_err);
}

/// dx = g s (1 + v (1 - s)), s = 1 / (1 + exp(-v)), tracked; exp(-v) overflows f32 below
/// v = -88.7 and WGSL may flush subnormal results: plus the smallest normal.
fn silu_grad_err(x: f32, g: f32) -> f64 {
    let one = tol::Tracked::exact(1.0);
    let v = tol::Tracked::exact(x);
    let s = one.div(one.add(tol::Tracked::exact(-x).exp()));
    let r = tol::Tracked::exact(g)
        .mul(s)
        .mul(one.add(v.mul(one.sub(s))));
    r.e + f32::MIN_POSITIVE as f64
}

#[test]
fn silu_backward_finite_difference() {
    activation::backward_finite_difference(&SILU, 72, 3.0);
}

#[test]
fn graph_silu_gradient_matches_finite_differences() {
    activation::graph_gradient(&SILU, 73, 3.0);
}
