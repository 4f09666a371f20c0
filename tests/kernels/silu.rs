use wgpu_ddpm::kernels::silu::*;

use crate::activation::{self, Activation};
use crate::common::*;

#[test]
fn silu_forward_matches_cpu() {
    let gpu = gpu();
    let mut rng = HostRng::new(70);
    for n in [1usize, 7, 255, 257, 3 * 5 * 7 * 9] {
        let mut x: Vec<f32> = rng.vec_normal(n).iter().map(|v| 4.0 * v).collect();
        // exp(-x) overflows f32 below x = -88.7: the result must still be -0, not NaN.
        x[0] = -100.0;
        let (xg, yg) = (upload(&gpu, &x, &[n]), gpu.zeros(&[n]));
        run(&gpu, [silu(&gpu, &xg, &yg)]);
        // A few f32 roundings of O(10) values.
        assert_close("silu", &gpu.read(&yg), &silu_cpu(&x), 1e-6, 1e-6);
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
    activation::backward_accumulates(&SILU, 71, 4.0, &[-100.0, 100.0], 1e-6, 1e-6);
}

#[test]
fn silu_backward_finite_difference() {
    activation::backward_finite_difference(&SILU, 72, 3.0);
}

#[test]
fn graph_silu_gradient_matches_finite_differences() {
    activation::graph_gradient(&SILU, 73, 3.0);
}
