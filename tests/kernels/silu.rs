use wgpu_ddpm::kernels::silu::*;
use wgpu_ddpm::model::graph::Graph;

use crate::common::*;
use crate::tape::{mse_f64, param, run_tape};

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

#[test]
fn silu_backward_matches_cpu_and_accumulates() {
    let gpu = gpu();
    let mut rng = HostRng::new(71);
    let n = 3 * 5 * 7 * 9;
    let mut x: Vec<f32> = rng.vec_normal(n).iter().map(|v| 4.0 * v).collect();
    x[0] = -100.0;
    x[1] = 100.0;
    let dy = rng.vec_normal(n);
    let dx0 = rng.vec_normal(n);
    let t = |v: &[f32]| upload(&gpu, v, &[n]);
    let dxg = t(&dx0);
    run(&gpu, [silu_backward(&gpu, &t(&x), &t(&dy), &dxg)]);
    let fresh = silu_backward_cpu(&x, &dy);
    assert_accumulates("silu_backward", &gpu.read(&dxg), &dx0, &fresh, 1e-6, 1e-6);
}

#[test]
fn silu_backward_finite_difference() {
    // L = sum(w * silu(x)); dL/dx from the GPU backward vs central differences in f64.
    let gpu = gpu();
    let mut rng = HostRng::new(72);
    let n = 37;
    let x: Vec<f32> = rng.vec_normal(n).iter().map(|v| 3.0 * v).collect();
    let w = rng.vec_normal(n);
    let (xg, dyg, dxg) = (
        upload(&gpu, &x, &[n]),
        upload(&gpu, &w, &[n]),
        gpu.zeros(&[n]),
    );
    run(&gpu, [silu_backward(&gpu, &xg, &dyg, &dxg)]);
    let loss = |xs: &[f64]| {
        xs.iter()
            .zip(&w)
            .map(|(x, w)| silu_f64(*x) * *w as f64)
            .sum()
    };
    fd_check(
        "silu fd",
        &gpu.read(&dxg),
        &f64s(&x),
        1e-4,
        loss,
        1e-5,
        1e-4,
    );
}

#[test]
fn graph_silu_gradient_matches_finite_differences() {
    let gpu = gpu();
    let mut rng = HostRng::new(73);
    let sh = [3usize, 5, 7];
    let n = 105;
    let x: Vec<f32> = rng.vec_normal(n).iter().map(|v| 3.0 * v).collect();
    let target = rng.vec_normal(n);
    let mut g = Graph::new(&gpu, true);
    let xv = param(&mut g, &x, &sh);
    let y = g.silu(&xv);
    g.mse(&y, &upload(&gpu, &target, &sh));
    run_tape(&gpu, g);
    let loss = |xs: &[f64]| {
        mse_f64(
            &xs.iter().map(|v| silu_f64(*v)).collect::<Vec<_>>(),
            &target,
        )
    };
    // Gradients of a mean over 105 values: O(0.01).
    let got = gpu.read(xv.grad.as_ref().unwrap());
    fd_check("graph silu dx", &got, &f64s(&x), 1e-4, loss, 1e-6, 1e-4);
}
