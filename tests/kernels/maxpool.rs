use wgpu_ddpm::kernels::maxpool::*;

use crate::common::*;
use crate::elementwise_support::*;

// (n, c, h, w): odd batch/channels with even H/W, a single window, and seed shapes at N=2.
const SHAPES: &[(usize, usize, usize, usize)] = &[
    (3, 5, 6, 10),
    (1, 1, 2, 2),
    (3, 1, 2, 8),
    (2, 64, 28, 28),
    (2, 128, 14, 14),
];

#[test]
fn maxpool_forward_matches_cpu() {
    let gpu = gpu();
    let mut rng = HostRng::new(20);
    for &(n, c, h, w) in SHAPES {
        let x = Filled::normal(&mut rng, &[n, c, h, w]);
        let yg = gpu.zeros(&[n, c, h / 2, w / 2]);
        run(&gpu, [maxpool(&gpu, &x.dev, &yg)]);
        // A max is exact.
        let what = format!("maxpool {n}x{c}x{h}x{w}");
        assert_exact(&what, &gpu.read(&yg), &maxpool_cpu(n, c, h, w, &x.host));
    }
}

#[test]
fn maxpool_backward_matches_cpu_and_accumulates() {
    let gpu = gpu();
    let mut rng = HostRng::new(21);
    for &(n, c, h, w) in SHAPES {
        let len = n * c * h * w;
        // Rounded values make ties common, exercising the first-in-window rule.
        let x: Vec<f32> = rng
            .vec_normal(len)
            .iter()
            .map(|v| (v * 2.0).round())
            .collect();
        let x = Filled::new(x, &[n, c, h, w]);
        let dy = Filled::normal(&mut rng, &[n, c, h / 2, w / 2]);
        let dx = Filled::normal(&mut rng, &[n, c, h, w]);
        run(&gpu, [maxpool_backward(&gpu, &x.dev, &dy.dev, &dx.dev)]);
        let fresh = maxpool_backward_cpu(n, c, h, w, &x.host, &dy.host);
        // Windows do not overlap: at most one dy (exact) added per element, correctly
        // rounded like the reference's add.
        let what = format!("maxpool_backward {n}x{c}x{h}x{w}");
        dx.assert_accumulated(&what, &fresh, 0.0, ONE_ULP);
    }
}

#[test]
fn maxpool_ties_go_to_first_in_window() {
    // One 4x4 plane, four windows: all equal (first wins); max 2 twice, at window positions
    // (0,1) and (1,0); a single max 5 at (1,1); max 3 twice, at (1,0) and (1,1).
    let x = [
        1.0, 1.0, 0.0, 2.0, //
        1.0, 1.0, 2.0, 1.0, //
        0.0, 0.0, 0.0, 0.0, //
        0.0, 5.0, 3.0, 3.0,
    ];
    let dy = [10.0, 20.0, 30.0, 40.0];
    let want_dx = [
        10.0, 0.0, 0.0, 20.0, //
        0.0, 0.0, 0.0, 0.0, //
        0.0, 0.0, 0.0, 0.0, //
        0.0, 30.0, 40.0, 0.0,
    ];
    let gpu = gpu();
    let (yg, dxg) = (gpu.zeros(&[1, 1, 2, 2]), gpu.zeros(&[1, 1, 4, 4]));
    let xg = upload(&gpu, &x, &[1, 1, 4, 4]);
    run(
        &gpu,
        [
            maxpool(&gpu, &xg, &yg),
            maxpool_backward(&gpu, &xg, &upload(&gpu, &dy, &[1, 1, 2, 2]), &dxg),
        ],
    );
    assert_exact("maxpool ties y", &gpu.read(&yg), &[1.0, 2.0, 5.0, 3.0]);
    assert_exact("maxpool ties dx", &gpu.read(&dxg), &want_dx);
    let cpu_dx = maxpool_backward_cpu(1, 1, 4, 4, &x, &dy);
    assert_exact("maxpool ties cpu dx", &cpu_dx, &want_dx);
}

#[test]
fn maxpool_backward_finite_difference() {
    // L = sum(r * maxpool(x)), x a shuffle of distinct values 0.01 apart (no near-ties).
    let gpu = gpu();
    let mut rng = HostRng::new(22);
    let (n, c, h, w) = (3, 2, 4, 6);
    let len = n * c * h * w;
    let mut x: Vec<f32> = (0..len).map(|i| i as f32 * 0.01 - 0.7).collect();
    for i in (1..len).rev() {
        x.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let x = Filled::new(x, &[n, c, h, w]);
    let r = Filled::normal(&mut rng, &[n, c, h / 2, w / 2]);
    let dxg = gpu.zeros(&[n, c, h, w]);
    run(&gpu, [maxpool_backward(&gpu, &x.dev, &r.dev, &dxg)]);
    // Piecewise linear: the difference is exact up to f64 rounding.
    let loss = |xs: &[f64]| weighted_sum(&maxpool_f64(n, c, h, w, xs), &r.host);
    let x64 = f64s(&x.host);
    fd_check("maxpool fd", &gpu.read(&dxg), &x64, 1e-4, loss, 1e-5, 1e-5);
}
