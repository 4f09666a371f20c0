use wgpu_ddpm::kernels::linear::*;

use crate::common::*;

// Shapes: odd ones that are not multiples of the 4x4 register tile, and seed-U-Net MLP shapes
// (time embedding D = 100 -> cin, cin -> cin) at batch 2.
const SHAPES: &[(usize, usize, usize)] = &[
    (1, 1, 1),
    (3, 5, 7),
    (5, 9, 6),
    (7, 13, 11),
    (2, 100, 64),
    (3, 64, 64),
    (2, 100, 384),
];

#[test]
fn linear_forward_matches_cpu() {
    let gpu = gpu();
    let mut rng = HostRng::new(11);
    for &(m, k, n) in SHAPES {
        let (x, w, b) = (
            rng.vec_normal(m * k),
            rng.vec_normal(n * k),
            rng.vec_normal(n),
        );
        let y0 = rng.vec_normal(m * n); // garbage: the forward overwrites
        let (xg, wg, bg, yg) = (
            upload(&gpu, &x, &[m, k]),
            upload(&gpu, &w, &[n, k]),
            upload(&gpu, &b, &[n]),
            upload(&gpu, &y0, &[m, n]),
        );
        run(&gpu, [linear(&gpu, &xg, &wg, &bg, &yg)]);
        // f32 sums of k <= 384 products of N(0,1) values (magnitude ~sqrt(k) <= 20) vs f64.
        assert_close(
            &format!("linear {m}x{k}->{n}"),
            &gpu.read(&yg),
            &linear_cpu(m, k, n, &x, &w, &b),
            2e-5 * k as f32,
            1e-5,
        );
    }
}

#[test]
fn linear_backward_matches_cpu_and_accumulates() {
    let gpu = gpu();
    let mut rng = HostRng::new(12);
    for &(m, k, n) in SHAPES {
        let (x, w, dy) = (
            rng.vec_normal(m * k),
            rng.vec_normal(n * k),
            rng.vec_normal(m * n),
        );
        let (dx0, dw0, db0) = (
            rng.vec_normal(m * k),
            rng.vec_normal(n * k),
            rng.vec_normal(n),
        );
        let (xg, wg, dyg) = (
            upload(&gpu, &x, &[m, k]),
            upload(&gpu, &w, &[n, k]),
            upload(&gpu, &dy, &[m, n]),
        );
        let (dxg, dwg, dbg) = (
            upload(&gpu, &dx0, &[m, k]),
            upload(&gpu, &dw0, &[n, k]),
            upload(&gpu, &db0, &[n]),
        );
        run(
            &gpu,
            linear_backward(&gpu, &xg, &wg, &dyg, &dxg, &dwg, &dbg),
        );
        let (dx, dw, db) = linear_backward_cpu(m, k, n, &x, &w, &dy);
        let what = format!("{m}x{k}->{n}");
        // dx sums n products, dw and db sum m products, in f32 vs f64; values ~sqrt(terms).
        assert_accumulates(
            &format!("linear dx {what}"),
            &gpu.read(&dxg),
            &dx0,
            &dx,
            2e-5 * n as f32,
            1e-5,
        );
        assert_accumulates(
            &format!("linear dw {what}"),
            &gpu.read(&dwg),
            &dw0,
            &dw,
            2e-5 * m as f32,
            1e-5,
        );
        assert_accumulates(
            &format!("linear db {what}"),
            &gpu.read(&dbg),
            &db0,
            &db,
            2e-5 * m as f32,
            1e-5,
        );
    }
}

#[test]
fn linear_backward_finite_difference() {
    // L = sum(r * (x w^T + b)); gradients of x, w, b from the GPU vs central differences in f64.
    let gpu = gpu();
    let mut rng = HostRng::new(13);
    let (m, k, n) = (3, 5, 6);
    let (x, w, b, r) = (
        rng.vec_normal(m * k),
        rng.vec_normal(n * k),
        rng.vec_normal(n),
        rng.vec_normal(m * n),
    );
    let (xd, wd, bd) = (f64s(&x), f64s(&w), f64s(&b));
    let loss = |x: &[f64], w: &[f64], b: &[f64]| {
        let mut l = 0.0;
        for i in 0..m {
            for o in 0..n {
                let y: f64 = (0..k).map(|j| x[i * k + j] * w[o * k + j]).sum::<f64>() + b[o];
                l += r[i * n + o] as f64 * y;
            }
        }
        l
    };
    let (xg, wg, rg) = (
        upload(&gpu, &x, &[m, k]),
        upload(&gpu, &w, &[n, k]),
        upload(&gpu, &r, &[m, n]),
    );
    let (dxg, dwg, dbg) = (gpu.zeros(&[m, k]), gpu.zeros(&[n, k]), gpu.zeros(&[n]));
    run(&gpu, linear_backward(&gpu, &xg, &wg, &rg, &dxg, &dwg, &dbg));
    // L is linear in each argument, so central differences are exact up to f64 rounding.
    fd_check(
        "linear fd dx",
        &gpu.read(&dxg),
        &xd,
        1e-3,
        |v| loss(v, &wd, &bd),
        1e-4,
        1e-4,
    );
    fd_check(
        "linear fd dw",
        &gpu.read(&dwg),
        &wd,
        1e-3,
        |v| loss(&xd, v, &bd),
        1e-4,
        1e-4,
    );
    fd_check(
        "linear fd db",
        &gpu.read(&dbg),
        &bd,
        1e-3,
        |v| loss(&xd, &wd, v),
        1e-4,
        1e-4,
    );
}

#[test]
fn linear_flops_counts_multiply_adds() {
    assert_eq!(linear_flops(2, 3, 4), 48.0);
}
