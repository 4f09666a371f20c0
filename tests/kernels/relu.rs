use wgpu_ddpm::kernels::relu::*;

use crate::common::*;
use crate::elementwise_support::*;

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
    // An odd length (one value per invocation) and a multiple of 4 (`main_vec4`).
    for n in [3 * 5 * 7 * 9, 4 * 5 * 7 * 9] {
        let [x, dy, dx] = [(); 3].map(|_| Filled::normal(&mut rng, &[n]));
        run(&gpu, [relu_backward(&gpu, &x.dev, &dy.dev, &dx.dev)]);
        let fresh = relu_backward_cpu(&x.host, &dy.host);
        // The fresh gradient is dy or 0, exact: one correctly rounded add, as the reference's.
        dx.assert_accumulated("relu_backward", &fresh, 0.0, ONE_ULP);
    }
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
    let (x, w) = (Filled::new(x, &[n]), Filled::normal(&mut rng, &[n]));
    let dxg = gpu.zeros(&[n]);
    run(&gpu, [relu_backward(&gpu, &x.dev, &w.dev, &dxg)]);
    let loss =
        |xs: &[f64]| weighted_sum(&xs.iter().map(|x| x.max(0.0)).collect::<Vec<_>>(), &w.host);
    let x64 = f64s(&x.host);
    fd_check("relu fd", &gpu.read(&dxg), &x64, 1e-4, loss, 1e-3, 1e-3);
}
