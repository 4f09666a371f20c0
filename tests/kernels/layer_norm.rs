use wgpu_ddpm::kernels::layer_norm::*;
use wgpu_ddpm::model::graph::Graph;

use wgpu_ddpm::kernels::segments::Segments;

use crate::common::tol::{assert_within, U};
use crate::common::*;
use crate::norm_bounds::{moments, y_bound};
use crate::norm_support::{
    assert_grads_accumulate, backward_case, fd_check_grads, fd_inputs, forward_inputs, gpu_forward,
    gradients, weighted_sum, Fwd,
};
use crate::tape::{mse_f64, param, run_tape};

// Odd widths (C = 3, 5, 13), rows not a multiple of the rows a workgroup covers nor of the
// 32-row chunks of dgamma/dbeta, a width of one (zero variance), rows longer than 256 lanes *
// 32 values (9000), enough rows that a column's partials get two lanes (2000), and the seed's
// 64..256-channel tokens.
const SHAPES: &[(usize, usize)] = &[
    (7, 3),
    (5, 5),
    (9, 13),
    (300, 13),
    (1000, 5),
    (4, 1),
    (3, 3000),
    (2, 9000),
    (2000, 3),
    (33, 256),
    (513, 64),
];

#[test]
fn layer_norm_forward_matches_cpu() {
    let mut rng = HostRng::new(50);
    for &(rows, c) in SHAPES {
        let s = LnShape { rows, c };
        let [x, gamma, beta] = forward_inputs(&mut rng, &s);
        let (y, mean, rstd) = layer_norm_cpu(&s, &x, &gamma, &beta);
        let Fwd {
            y: gy,
            mean: gm,
            rstd: gr,
        } = gpu_forward(&s, &x, &gamma, &beta);
        check_forward(&s, [&x, &gamma, &beta], [&gy, &gm, &gr], [&y, &mean, &rstd]);
    }
}

/// The GPU's forward against the reference within the bounds of `norm_bounds`: a row is
/// summed by 2^shift lanes (each adding c / 2^shift values), then a tree of `shift` levels.
fn check_forward(s: &LnShape, [x, gamma, beta]: [&[f32]; 3], got: [&[f32]; 3], want: [&[f32]; 3]) {
    let shift = Segments::new(s.rows, s.c).shift as usize;
    let depth = s.c.div_ceil(1 << shift) + shift;
    let mut yb = vec![0.0; x.len()];
    let (mut mb, mut rb) = (vec![0.0; s.rows], vec![0.0; s.rows]);
    for r in 0..s.rows {
        let row = &x[r * s.c..(r + 1) * s.c];
        let mo = moments(row, depth, LN_EPS);
        for (e, v) in row.iter().enumerate() {
            yb[r * s.c + e] = y_bound(&mo, *v, gamma[e], beta[e]);
        }
        mb[r] = mo.mean_err + U * mo.mean.abs();
        rb[r] = (mo.rstd_rel + U) * mo.rstd;
    }
    let what = format!("{s:?}");
    assert_within(&format!("y {what}"), got[0], want[0], &yb);
    assert_within(&format!("mean {what}"), got[1], want[1], &mb);
    assert_within(&format!("rstd {what}"), got[2], want[2], &rb);
}

#[test]
fn layer_norm_by_hand() {
    // Rows [1, 2, 3, 4] and [4, 4, 4, 4]: mean 2.5 and 4, variance 1.25 and 0, so rstd
    // 0.894423613312618 and 1/sqrt(1e-5) = 316.22776601683796; the constant row gives beta.
    let s = LnShape { rows: 2, c: 4 };
    let x = [1.0, 2.0, 3.0, 4.0, 4.0, 4.0, 4.0, 4.0];
    let gamma = [1.0, 2.0, 1.0, 0.5];
    let beta = [0.0, 0.5, 0.0, -1.0];
    let r = 0.894423613312618f64;
    let want_y: Vec<f32> = [
        -1.5 * r,
        -r + 0.5,
        0.5 * r,
        0.75 * r - 1.0,
        0.0,
        0.5,
        0.0,
        -1.0,
    ]
    .iter()
    .map(|v| *v as f32)
    .collect();
    let Fwd {
        y: gy,
        mean: gm,
        rstd: gr,
    } = gpu_forward(&s, &x, &gamma, &beta);
    let (y, mean, rstd) = layer_norm_cpu(&s, &x, &gamma, &beta);
    // The f64 reference against the hand values; the GPU against the reference within the
    // WGSL bounds (its divisions by 4 may be 2.5 ULP off).
    assert_close("cpu y", &y, &want_y, 1e-6, 1e-6);
    assert_close("cpu mean", &mean, &[2.5, 4.0], 0.0, 0.0);
    let want_rstd = [r as f32, 316.22776601683796f64 as f32];
    assert_close("cpu rstd", &rstd, &want_rstd, 1e-6, 1e-6);
    check_forward(&s, [&x, &gamma, &beta], [&gy, &gm, &gr], [&y, &mean, &rstd]);
}

#[test]
fn layer_norm_backward_matches_cpu_and_accumulates() {
    let mut rng = HostRng::new(51);
    for &(rows, c) in SHAPES {
        let s = LnShape { rows, c };
        let b = backward_case(&mut rng, &s);
        let (dx, dgamma, dbeta) =
            layer_norm_backward_cpu(&s, &b.x, &b.gamma, &b.mean, &b.rstd, &b.dy);
        // dgamma/dbeta sum up to 2000 O(1) terms; a zero-variance row has rstd ~316, so dx
        // there is O(300) (relative tolerance).
        let tol = [[1e-4, 1e-4], [1e-3, 1e-4], [1e-3, 1e-4]];
        let want = [&dx[..], &dgamma, &dbeta];
        assert_grads_accumulate(&format!("{s:?}"), &b.got, &b.before, want, tol);
    }
}

#[test]
fn layer_norm_backward_finite_difference() {
    // L = sum(r * layer_norm(x; gamma, beta)) in f64 on the CPU; the GPU forward provides
    // mean/rstd and the GPU backward gets dy = r.
    let mut rng = HostRng::new(52);
    for (rows, c) in [(3usize, 5usize), (4, 3), (2, 13)] {
        let s = LnShape { rows, c };
        let [x, gamma, beta, r] = fd_inputs(&mut rng, &s);
        let loss = |x: &[f64], g: &[f64], b: &[f64]| weighted_sum(&layer_norm_f64(&s, x, g, b), &r);
        let got = gradients(&s, [&x, &gamma, &beta], &r);
        // f32 GPU arithmetic on O(1) gradients vs an f64 central difference (error ~1e-8).
        let what = format!("fd {s:?}");
        fd_check_grads(&what, &got, [&x, &gamma, &beta], loss, 1e-4, [1e-3, 1e-3]);
    }
}

#[test]
fn graph_layer_norm_gradients_match_finite_differences() {
    // L = mse(layer_norm(x, gamma, beta), target) on a rank-3 x [2, 3, 5] (6 rows of 5)
    // through the tape; then the same with gamma and beta as inputs without gradients.
    let gpu = gpu();
    let mut rng = HostRng::new(53);
    let (sh, c) = ([2usize, 3, 5], 5usize);
    let s = LnShape { rows: 6, c };
    let x = rng.vec_normal(s.len());
    let gamma = rng.vec_uniform(c, 0.5, 1.5);
    let beta = rng.vec_normal(c);
    let target = rng.vec_normal(s.len());
    let loss = |x: &[f64], g: &[f64], b: &[f64]| mse_f64(&layer_norm_f64(&s, x, g, b), &target);
    let tg = upload(&gpu, &target, &sh);
    for params_need_grads in [true, false] {
        let mut g = Graph::new(&gpu, true);
        let xv = param(&mut g, &x, &sh);
        let (gv, bv) = if params_need_grads {
            (param(&mut g, &gamma, &[c]), param(&mut g, &beta, &[c]))
        } else {
            (
                g.input(upload(&gpu, &gamma, &[c])),
                g.input(upload(&gpu, &beta, &[c])),
            )
        };
        let y = g.layer_norm(&xv, &gv, &bv);
        assert_eq!(y.shape(), sh);
        g.mse(&y, &tg);
        run_tape(&gpu, g);
        // Gradients of a mean over 30 values: O(0.1); f32 error ~1e-7.
        let with_grads: &[_] = if params_need_grads {
            &[&xv, &gv, &bv]
        } else {
            &[&xv]
        };
        let got: Vec<_> = with_grads
            .iter()
            .map(|v| gpu.read(v.grad.as_ref().unwrap()))
            .collect();
        let at = [&x[..], &gamma, &beta];
        fd_check_grads("graph layer_norm", &got, at, loss, 1e-4, [1e-5, 1e-3]);
    }
}

#[test]
fn layer_norm_backward_records_dx_then_the_parameter_passes() {
    let gpu = gpu();
    let s = LnShape { rows: 7, c: 3 };
    let z = |n: usize| gpu.zeros(&[n]);
    let (x, dy, dx, gamma, dg, db, mean, rstd) =
        (z(21), z(21), z(21), z(3), z(3), z(3), z(7), z(7));
    let ds = layer_norm_backward(&gpu, &s, &x, &gamma, &mean, &rstd, &dy, [&dx, &dg, &db]);
    let labels: Vec<_> = ds.iter().map(|d| d.label).collect();
    assert_eq!(
        labels,
        [
            "layer_norm_backward",
            "layer_norm_backward_params",
            "layer_norm_backward_params_sum"
        ]
    );
}

#[test]
#[should_panic(expected = "layer_norm: gamma has 4 elements, want 3 ([c])")]
fn layer_norm_rejects_a_wrong_gamma() {
    let gpu = gpu();
    let s = LnShape { rows: 7, c: 3 };
    let z = |n: usize| gpu.zeros(&[n]);
    layer_norm(&gpu, &s, &z(21), &z(4), &z(3), &z(21), &z(7), &z(7));
}
