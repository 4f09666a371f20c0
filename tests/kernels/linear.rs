use wgpu_ddpm::kernels::linear::*;

use crate::common::tol::{abs, accumulate_bounds, assert_within, reduction_bounds};
use crate::common::*;
use crate::elementwise_support::*;

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
        let x = Filled::normal(&mut rng, &[m, k]);
        let w = Filled::normal(&mut rng, &[n, k]);
        let b = Filled::normal(&mut rng, &[n]);
        let y = Filled::normal(&mut rng, &[m, n]); // garbage: the forward overwrites
        run(&gpu, [linear(&gpu, &x.dev, &w.dev, &b.dev, &y.dev)]);
        // Each output reduces k products and the bias, in whatever order the kernel takes.
        let mag = linear_cpu(m, k, n, &abs(&x.host), &abs(&w.host), &abs(&b.host));
        assert_within(
            &format!("linear {m}x{k}->{n}"),
            &read(&y.dev),
            &linear_cpu(m, k, n, &x.host, &w.host, &b.host),
            &reduction_bounds(k + 1, &mag),
        );
    }
}

#[test]
fn linear_backward_matches_cpu_and_accumulates() {
    let gpu = gpu();
    let mut rng = HostRng::new(12);
    for &(m, k, n) in SHAPES {
        let [x, w, dy, dx, dw, db] = [&[m, k][..], &[n, k], &[m, n], &[m, k], &[n, k], &[n]]
            .map(|s| Filled::normal(&mut rng, s));
        run(
            &gpu,
            linear_backward(&gpu, &x.dev, &w.dev, &dy.dev, &dx.dev, &dw.dev, &db.dev),
        );
        let (dx_want, dw_want, db_want) = linear_backward_cpu(m, k, n, &x.host, &w.host, &dy.host);
        // dx reduces n products, dw and db m each, all added onto the prefill.
        let (mx, mw, mb) =
            linear_backward_cpu(m, k, n, &abs(&x.host), &abs(&w.host), &abs(&dy.host));
        for (name, buf, want, terms, mag) in [
            ("dx", &dx, dx_want, n, mx),
            ("dw", &dw, dw_want, m, mw),
            ("db", &db, db_want, m, mb),
        ] {
            let want: Vec<f32> = buf.host.iter().zip(&want).map(|(a, b)| a + b).collect();
            assert_within(
                &format!("linear {name} {m}x{k}->{n}"),
                &read(&buf.dev),
                &want,
                &accumulate_bounds(terms, &mag, &buf.host),
            );
        }
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
    let loss = |[x, w, b]: [&[f64]; 3]| {
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
    fd_check_partials(
        "linear fd",
        [&f64s(&x), &f64s(&w), &f64s(&b)],
        1e-3,
        loss,
        [
            ("dx", &gpu.read(&dxg), 1e-4, 1e-4),
            ("dw", &gpu.read(&dwg), 1e-4, 1e-4),
            ("db", &gpu.read(&dbg), 1e-4, 1e-4),
        ],
    );
}

#[test]
fn linear_flops_counts_multiply_adds() {
    assert_eq!(linear_flops(2, 3, 4), 48.0);
}
