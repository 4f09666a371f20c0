use wgpu_ddpm::kernels::group_norm::*;
use wgpu_ddpm::model::graph::Graph;

use wgpu_ddpm::kernels::segments::{Segments, PER_LANE};

use crate::common::tol::{assert_within, U};
use crate::common::*;
use crate::norm_bounds::{moments, y_bound};
use crate::norm_support::{
    assert_grads_accumulate, backward_case, fd_check_grads, fd_inputs, forward_inputs, gpu_forward,
    gradients, weighted_sum,
};
use crate::tape::{mse_f64, param, run_tape};

fn shape(n: usize, c: usize, hw: usize, groups: usize) -> GnShape {
    GnShape { n, c, hw, groups }
}

// Odd shapes (C = 3, 5, 13; 5x7 planes; one group and one group per channel), planes of one
// value, planes longer than a workgroup's chunk (20000: three chunks of 8192), enough images
// that a channel's partials get several lanes (40), and the seed's GroupNorm(1, c) at small
// sizes (8x8 and 32x32 planes share a workgroup; 64 planes per group get several lanes).
const SHAPES: &[(usize, usize, usize, usize)] = &[
    (2, 3, 35, 1),
    (2, 3, 35, 3),
    (3, 5, 35, 1),
    (1, 5, 35, 5),
    (2, 13, 35, 1),
    (2, 13, 35, 13),
    (3, 6, 35, 2),
    (4, 6, 1, 2),
    (2, 3, 20000, 1),
    (1, 2, 20000, 2),
    (40, 3, 35, 1),
    (2, 64, 64, 1),
    (2, 16, 1024, 1),
];

#[test]
fn group_norm_forward_matches_cpu() {
    let mut rng = HostRng::new(40);
    for &(n, c, hw, groups) in SHAPES {
        let s = shape(n, c, hw, groups);
        let [x, gamma, beta] = forward_inputs(&mut rng, &s);
        let (y, mean, rstd) = group_norm_cpu(&s, &x, &gamma, &beta);
        let g = gpu_forward(&s, &x, &gamma, &beta);
        check_forward(
            &s,
            [&x, &gamma, &beta],
            [&g.y, &g.mean, &g.rstd],
            [&y, &mean, &rstd],
        );
    }
}

/// The GPU's forward against the reference within the bounds of `norm_bounds`: each lane
/// adds up to PER_LANE values of a plane, a tree of the plane's `shift` levels, then the
/// moments pass adds a group's partials over 2^gshift lanes and a tree of `gshift` levels.
fn check_forward(s: &GnShape, [x, gamma, beta]: [&[f32]; 3], got: [&[f32]; 3], want: [&[f32]; 3]) {
    let planes = s.planes();
    let partials = Segments::new(s.rows(), s.cg() * planes.chunks());
    let depth = PER_LANE
        + planes.shift as usize
        + partials.len.div_ceil(partials.lanes())
        + partials.shift as usize;
    let m = s.m();
    let mut yb = vec![0.0; x.len()];
    let (mut mb, mut rb) = (vec![0.0; s.rows()], vec![0.0; s.rows()]);
    for r in 0..s.rows() {
        let vals = &x[r * m..(r + 1) * m];
        let mo = moments(vals, depth, GN_EPS);
        for (e, v) in vals.iter().enumerate() {
            let ch = (r % s.groups) * s.cg() + e / s.hw;
            yb[r * m + e] = y_bound(&mo, *v, gamma[ch], beta[ch]);
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
fn group_norm_by_hand() {
    // x = [1, 2 | 3, 4] (n=1, c=2, hw=2), gamma [1, 2], beta [0, 0.5].
    // GroupNorm(1, 2): mean 2.5, var 1.25, rstd = 1/sqrt(1.25 + 1e-5) = 0.894423613312618.
    // GroupNorm(2, 2): each channel mean 1.5 / 3.5, var 0.25, rstd 1/sqrt(0.25001) =
    // 1.9999600007999840; y = -+rstd/2 * gamma + beta.
    let x = [1.0, 2.0, 3.0, 4.0];
    let (gamma, beta) = ([1.0, 2.0], [0.0, 0.5]);
    let r1 = 0.894423613312618f64;
    let r2 = 1.999960000799984f64;
    let cases = [
        (
            1,
            vec![-1.5 * r1, -0.5 * r1, r1 + 0.5, 3.0 * r1 + 0.5],
            vec![2.5],
            vec![r1],
        ),
        (
            2,
            vec![-0.5 * r2, 0.5 * r2, 0.5 - r2, 0.5 + r2],
            vec![1.5, 3.5],
            vec![r2, r2],
        ),
    ];
    let f32s = |v: &[f64]| v.iter().map(|a| *a as f32).collect::<Vec<_>>();
    for (groups, want_y, want_mean, want_rstd) in cases {
        let s = shape(1, 2, 2, groups);
        let (y, mean, rstd) = group_norm_cpu(&s, &x, &gamma, &beta);
        let g = gpu_forward(&s, &x, &gamma, &beta);
        // The f64 reference against the hand values; the GPU against the reference within
        // the WGSL bounds (its divisions by 2 and 4 may be 2.5 ULP off).
        let what = format!("cpu groups {groups}");
        assert_close(&format!("{what} y"), &y, &f32s(&want_y), 1e-6, 1e-6);
        assert_close(&format!("{what} mean"), &mean, &f32s(&want_mean), 0.0, 0.0);
        assert_close(
            &format!("{what} rstd"),
            &rstd,
            &f32s(&want_rstd),
            1e-6,
            1e-6,
        );
        let got = [&g.y[..], &g.mean, &g.rstd];
        check_forward(&s, [&x, &gamma, &beta], got, [&y, &mean, &rstd]);
    }
}

#[test]
fn group_norm_backward_matches_cpu_and_accumulates() {
    let mut rng = HostRng::new(41);
    for &(n, c, hw, groups) in SHAPES {
        let s = shape(n, c, hw, groups);
        let b = backward_case(&mut rng, &s);
        let (dx, dgamma, dbeta) =
            group_norm_backward_cpu(&s, &b.x, &b.gamma, &b.mean, &b.rstd, &b.dy);
        // dgamma/dbeta sum up to 40000 O(1) terms (magnitude ~200): f32 error ~1e-5 relative;
        // dx subtracts group means of such sums.
        let tol = [[1e-4, 1e-4], [2e-3, 1e-4], [2e-3, 1e-4]];
        let want = [&dx[..], &dgamma, &dbeta];
        assert_grads_accumulate(&format!("{s:?}"), &b.got, &b.before, want, tol);
    }
}

#[test]
fn group_norm_launchers_record_their_passes_in_order() {
    // Each pass's numerics are covered above; here the order, and that backward without dx
    // leaves out the dx pass.
    let gpu = gpu();
    let s = shape(2, 3, 35, 1);
    let z = |n: usize| gpu.zeros(&[n]);
    let (x, y, dy, dx) = (z(s.len()), z(s.len()), z(s.len()), z(s.len()));
    let (gamma, beta, dgamma, dbeta, mean, rstd) = (z(3), z(3), z(3), z(3), z(2), z(2));
    let labels = |d: &[wgpu_ddpm::gpu::Dispatch]| d.iter().map(|d| d.label).collect::<Vec<_>>();
    let fwd = group_norm(&gpu, &s, &x, &gamma, &beta, &y, &mean, &rstd);
    assert_eq!(
        labels(&fwd),
        ["group_norm_stats", "group_norm_moments", "group_norm"]
    );
    let bwd =
        |dx| group_norm_backward(&gpu, &s, &x, &gamma, &mean, &rstd, &dy, dx, &dgamma, &dbeta);
    let with = labels(&bwd(Some(&dx)));
    assert_eq!(
        with,
        [
            "group_norm_backward_reduce",
            "group_norm_backward_sums",
            "group_norm_backward"
        ]
    );
    assert_eq!(labels(&bwd(None)), with[..2]);
}

#[test]
#[should_panic(expected = "group_norm: 6 channels do not split into 4 groups")]
fn group_norm_rejects_groups_that_do_not_divide_channels() {
    let gpu = gpu();
    let s = shape(1, 6, 5, 4);
    let z = |n: usize| gpu.zeros(&[n]);
    group_norm(&gpu, &s, &z(30), &z(6), &z(6), &z(30), &z(4), &z(4));
}

#[test]
#[should_panic(expected = "group_norm_backward: dgamma has 2 elements, want 3")]
fn group_norm_backward_rejects_a_wrong_parameter_gradient() {
    let gpu = gpu();
    let s = shape(2, 3, 5, 1);
    let z = |n: usize| gpu.zeros(&[n]);
    let (x, c, r) = (z(30), z(3), z(2));
    group_norm_backward(&gpu, &s, &x, &c, &r, &r, &x, None, &z(2), &z(3));
}

#[test]
fn group_norm_backward_finite_difference() {
    // L = sum(r * group_norm(x; gamma, beta)) in f64 on the CPU; the GPU forward provides
    // mean/rstd and the GPU backward gets dy = r.
    let mut rng = HostRng::new(42);
    for (n, c, hw, groups) in [(2usize, 3usize, 5usize, 1usize), (2, 4, 3, 2), (1, 3, 4, 3)] {
        let s = shape(n, c, hw, groups);
        let [x, gamma, beta, r] = fd_inputs(&mut rng, &s);
        let loss = |x: &[f64], g: &[f64], b: &[f64]| weighted_sum(&group_norm_f64(&s, x, g, b), &r);
        let got = gradients(&s, [&x, &gamma, &beta], &r);
        // f32 GPU arithmetic on O(1) gradients vs an f64 central difference (error ~1e-8).
        let what = format!("fd {s:?}");
        fd_check_grads(&what, &got, [&x, &gamma, &beta], loss, 1e-4, [1e-3, 1e-3]);
    }
}

#[test]
fn group_norm_is_deterministic() {
    // Same input twice: bit-identical outputs (fixed-order reductions, no atomics).
    let mut rng = HostRng::new(43);
    let s = shape(2, 3, 20000, 1);
    let x = rng.vec_normal(s.len());
    let (g, b) = (vec![1.0; 3], vec![0.0; 3]);
    let a = gpu_forward(&s, &x, &g, &b);
    let a2 = gpu_forward(&s, &x, &g, &b);
    assert_eq!(a.y, a2.y);
    assert_eq!(a.rstd, a2.rstd);
}

#[test]
fn graph_group_norm_gradients_match_finite_differences() {
    // L = mse(group_norm(x, groups, gamma, beta), target) through the tape.
    let gpu = gpu();
    let mut rng = HostRng::new(44);
    for (c, groups) in [(3usize, 1usize), (4, 2), (3, 3)] {
        let s = shape(2, c, 5, groups);
        let sh = [2, c, 5];
        let x = rng.vec_normal(s.len());
        let gamma = rng.vec_uniform(c, 0.5, 1.5);
        let beta = rng.vec_normal(c);
        let target = rng.vec_normal(s.len());
        let mut g = Graph::new(&gpu, true);
        let xv = param(&mut g, &x, &sh);
        let gv = param(&mut g, &gamma, &[c]);
        let bv = param(&mut g, &beta, &[c]);
        let y = g.group_norm(&xv, groups, &gv, &bv);
        let tg = upload(&gpu, &target, &sh);
        g.mse(&y, &tg);
        run_tape(&gpu, g);
        let loss = |x: &[f64], g: &[f64], b: &[f64]| mse_f64(&group_norm_f64(&s, x, g, b), &target);
        // Gradients of a mean over 30 values: O(0.1); f32 error ~1e-7.
        let got = [&xv, &gv, &bv].map(|v| gpu.read(v.grad.as_ref().unwrap()));
        let what = format!("graph group_norm {s:?}");
        fd_check_grads(&what, &got, [&x, &gamma, &beta], loss, 1e-4, [1e-5, 1e-3]);
    }
}
