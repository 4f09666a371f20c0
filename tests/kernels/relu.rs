use wgpu_ddpm::kernels::relu::*;

use crate::common::*;

#[test]
fn relu_forward_matches_cpu() {
    let gpu = gpu();
    let mut rng = HostRng::new(1);
    for n in [1usize, 7, 255, 256, 257, 3 * 5 * 7 * 9] {
        let x = rng.vec_normal(n);
        let xg = upload(&gpu, &x, &[n]);
        let yg = gpu.zeros(&[n]);
        run(&gpu, [relu(&gpu, &xg, &yg)]);
        assert_close("relu", &gpu.read(&yg), &relu_cpu(&x), 0.0, 0.0);
    }
}

#[test]
fn relu_backward_matches_cpu_and_accumulates() {
    let gpu = gpu();
    let mut rng = HostRng::new(2);
    let n = 3 * 5 * 7 * 9;
    let x = rng.vec_normal(n);
    let dy = rng.vec_normal(n);
    let dx0 = rng.vec_normal(n);
    let (xg, dyg, dxg) = (
        upload(&gpu, &x, &[n]),
        upload(&gpu, &dy, &[n]),
        upload(&gpu, &dx0, &[n]),
    );
    run(&gpu, [relu_backward(&gpu, &xg, &dyg, &dxg)]);
    let fresh = relu_backward_cpu(&x, &dy);
    assert_accumulates("relu_backward", &gpu.read(&dxg), &dx0, &fresh, 1e-6, 0.0);
}

#[test]
fn relu_backward_finite_difference() {
    // L = sum(w * relu(x)); dL/dx from the GPU backward vs central differences in f64.
    let gpu = gpu();
    let mut rng = HostRng::new(3);
    let n = 37;
    let x: Vec<f32> = rng
        .vec_normal(n)
        .iter()
        .map(|v| if v.abs() < 0.05 { 0.3 } else { *v })
        .collect();
    let w = rng.vec_normal(n);
    let (xg, dyg, dxg) = (
        upload(&gpu, &x, &[n]),
        upload(&gpu, &w, &[n]),
        gpu.zeros(&[n]),
    );
    run(&gpu, [relu_backward(&gpu, &xg, &dyg, &dxg)]);
    fd_check(
        "relu fd",
        &gpu.read(&dxg),
        &x.iter().map(|v| *v as f64).collect::<Vec<_>>(),
        1e-4,
        |xs| xs.iter().zip(&w).map(|(x, w)| x.max(0.0) * *w as f64).sum(),
        1e-3,
        1e-3,
    );
}
