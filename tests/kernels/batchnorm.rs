use wgpu_ddpm::kernels::batchnorm::*;

use crate::common::tol::{assert_within, DIV_ULP, U, ULP_REL};
use crate::common::*;
use crate::norm_bounds::{given, moments, running_bound, y_bound};
use crate::norm_support::{
    assert_grads_accumulate, backward_case, fd_check_grads, fd_inputs, forward_inputs,
    gpu_backward, gpu_forward, gradients, weighted_sum, BnTrain, Grads,
};

struct Train {
    y: Vec<f32>,
    mean: Vec<f32>,
    invstd: Vec<f32>,
    rm: Vec<f32>,
    rv: Vec<f32>,
}

fn gpu_train(s: &BnShape, x: &[f32], gamma: &[f32], beta: &[f32], rm: &[f32], rv: &[f32]) -> Train {
    let bn = BnTrain::with_running(*s, BnOut::Plain, rm, rv);
    let f = gpu_forward(&bn, x, gamma, beta);
    let gpu = gpu();
    Train {
        y: f.y,
        mean: f.mean,
        invstd: f.rstd,
        rm: gpu.read(&bn.running[0]),
        rv: gpu.read(&bn.running[1]),
    }
}

// Shapes: odd ones, several chunks per channel (M past a chunk and not a multiple of it),
// and the seed U-Net's three BN shapes at N=2. Planes of hw % 4 == 0 run the vec4 entries
// (chunks of 4 * BN_CHUNK values), the others the f32 ones; each path gets n = 1 and c = 1,
// one and several chunks, planes shorter and longer than a workgroup step, hw = 1 or 4, and
// channels short enough that a workgroup covers several of them (8 to 128 lanes each, c not
// a multiple of the channels per workgroup).
const SHAPES: &[(usize, usize, usize)] = &[
    (3, 5, 7 * 9),
    (1, 1, 2),
    (5, 3, 1),
    (1, 1, 4),
    (3, 2, 1000),
    (5, 3, 1111),
    (3, 2, 3000),
    (2, 64, 28 * 28),
    (2, 128, 14 * 14),
    (2, 256, 7 * 7),
];

#[test]
fn batchnorm_train_matches_cpu() {
    let mut rng = HostRng::new(10);
    for &(n, c, hw) in SHAPES {
        let s = BnShape { n, c, hw };
        let [x, gamma, beta] = forward_inputs(&mut rng, &s);
        let rm0 = rng.vec_normal(c);
        let rv0 = rng.vec_uniform(c, 0.5, 2.0);
        let (mut rm, mut rv) = (rm0.clone(), rv0.clone());
        let (y, mean, invstd) = batchnorm_train_cpu(&s, &x, &gamma, &beta, &mut rm, &mut rv);
        let g = gpu_train(&s, &x, &gamma, &beta, &rm0, &rv0);
        let want = Train {
            y,
            mean,
            invstd,
            rm,
            rv,
        };
        check_train(&s, [&x, &gamma, &beta, &rm0, &rv0], &g, &want);
    }
}

/// The GPU's training forward against the reference, within the bounds of `norm_bounds`: per
/// channel, the stats pass sums up to BN_PER_THREAD values per lane (BN_SHORT_PER_THREAD on a
/// channel short enough for fewer lanes; per component of a vec4 on the vec4 path, whose four
/// sums are then added pairwise: 2 more), then
/// `workgroup_runs_sum2` over the channel's `lanes` (runs of r = min(16, lanes) in order, then
/// the runs' sums in order: r - 1 + lanes / r - 1 adds), then the normalise pass adds the
/// chunks' partials in sequence.
fn check_train(s: &BnShape, [x, gamma, beta, rm0, rv0]: [&[f32]; 5], got: &Train, want: &Train) {
    let (lanes, r) = (s.lanes(), s.lanes().min(16));
    let per_lane = if lanes < 256 {
        BN_SHORT_PER_THREAD
    } else {
        BN_PER_THREAD
    };
    let lane = per_lane + if s.width() == 4 { 2 } else { 0 };
    let depth = lane + (r - 1) + (lanes / r - 1) + s.chunks();
    let (m, c) = (s.m(), s.c);
    let mut yb = vec![0.0; x.len()];
    let (mut mb, mut ib, mut rmb, mut rvb) =
        (vec![0.0; c], vec![0.0; c], vec![0.0; c], vec![0.0; c]);
    for ch in 0..c {
        let at = |e: usize| (e / s.hw * c + ch) * s.hw + e % s.hw;
        let vals: Vec<f32> = (0..m).map(|e| x[at(e)]).collect();
        let mo = moments(&vals, depth, BN_EPS);
        for e in 0..m {
            yb[at(e)] = y_bound(&mo, x[at(e)], gamma[ch], beta[ch]);
        }
        mb[ch] = mo.mean_err + U * mo.mean.abs();
        ib[ch] = (mo.rstd_rel + U) * mo.rstd;
        rmb[ch] = running_bound(BN_MOMENTUM, rm0[ch], mo.mean, mo.mean_err);
        let unbiased = mo.ssd / (m - 1) as f64;
        let e_unb = mo.ssd_err / (m - 1) as f64;
        let e_unb = e_unb + DIV_ULP * ULP_REL * (unbiased + e_unb);
        rvb[ch] = running_bound(BN_MOMENTUM, rv0[ch], unbiased, e_unb);
    }
    let what = format!("{s:?}");
    assert_within(&format!("y {what}"), &got.y, &want.y, &yb);
    assert_within(&format!("mean {what}"), &got.mean, &want.mean, &mb);
    assert_within(&format!("invstd {what}"), &got.invstd, &want.invstd, &ib);
    assert_within(&format!("running_mean {what}"), &got.rm, &want.rm, &rmb);
    assert_within(&format!("running_var {what}"), &got.rv, &want.rv, &rvb);
}

#[test]
fn batchnorm_by_hand() {
    // Both channels hold [1, 2, 3, 4] (n=2, hw=2): mean 2.5, biased var 1.25,
    // invstd = 1/sqrt(1.25 + 1e-5) = 0.894423613312618. Channel 0: gamma 1, beta 0;
    // channel 1: gamma 2, beta 0.5. Running stats start at 0 / 1 and become
    // 0.1 * 2.5 = 0.25 and 0.9 + 0.1 * 5/3 (unbiased) = 1.0666666666666667.
    let s = BnShape { n: 2, c: 2, hw: 2 };
    let x = [1.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 4.0];
    let (gamma, beta) = ([1.0, 2.0], [0.0, 0.5]);
    // Hand-derived values in f64, rounded to f32 for the comparison.
    let want_y: Vec<f32> = [
        -1.3416354199689269,
        -0.447211806656309,
        -2.1832708399378538,
        -0.394423613312618,
        0.447211806656309,
        1.3416354199689269,
        1.394423613312618,
        3.1832708399378538f64,
    ]
    .iter()
    .map(|v| *v as f32)
    .collect();
    let (mut rm, mut rv) = (vec![0.0; 2], vec![1.0; 2]);
    let (y, mean, invstd) = batchnorm_train_cpu(&s, &x, &gamma, &beta, &mut rm, &mut rv);
    let g = gpu_train(&s, &x, &gamma, &beta, &[0.0; 2], &[1.0; 2]);
    // The f64 reference against the hand values (f32 rounding of O(1) values only); the GPU
    // against the reference within the WGSL bounds (its divisions by 2 and 4 may be 2.5 ULP
    // off, so the hand values need not come out exact).
    {
        let (who, y, mean, invstd, rm, rv) = ("cpu", &y, &mean, &invstd, &rm, &rv);
        assert_close(&format!("{who} y"), y, &want_y, 1e-6, 1e-6);
        assert_close(&format!("{who} mean"), mean, &[2.5, 2.5], 0.0, 0.0);
        assert_close(
            &format!("{who} invstd"),
            invstd,
            &[0.894423613312618f64 as f32; 2],
            1e-6,
            1e-6,
        );
        assert_close(&format!("{who} running_mean"), rm, &[0.25, 0.25], 1e-7, 0.0);
        assert_close(
            &format!("{who} running_var"),
            rv,
            &[1.0666666666666667f64 as f32; 2],
            1e-6,
            0.0,
        );
    }
    let want = Train {
        y: y.clone(),
        mean,
        invstd,
        rm: rm.clone(),
        rv: rv.clone(),
    };
    check_train(&s, [&x, &gamma, &beta, &[0.0; 2], &[1.0; 2]], &g, &want);
    // Eval with those running stats: (x - 0.25) / sqrt(1.0666666666666667 + 1e-5) * gamma + beta;
    // for x = 1 in channel 0: 0.75 * 0.9682413... = 0.726181...
    let eval = BnTrain::with_running(s, BnOut::Plain, &rm, &rv).eval(&x, &gamma, &beta);
    let inv = 1.0 / (1.0666666666666667f64 + 1e-5).sqrt();
    let want: Vec<f32> = x
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let ch = (i / 2) % 2;
            ((*v as f64 - 0.25) * inv * gamma[ch] as f64 + beta[ch] as f64) as f32
        })
        .collect();
    let bounds: Vec<f64> = (0..x.len())
        .map(|i| {
            let ch = (i / 2) % 2;
            y_bound(&given(rm[ch], rv[ch], BN_EPS), x[i], gamma[ch], beta[ch])
        })
        .collect();
    assert_within("eval by hand", &eval, &want, &bounds);
    assert!((inv - 0.968241).abs() < 1e-6);
    // Backward with dy = 1 everywhere: dbeta = 4, dgamma = sum(xhat) = 0, dx = 0.
    let (bn, grads) = (BnTrain::new(s, BnOut::Plain), Grads::zeros(&s));
    gpu_backward(
        &bn,
        [&x, &gamma, &g.mean, &g.invstd, &[1.0; 8]],
        grads.refs(),
    );
    let [dx, dgamma, dbeta] = grads.read();
    assert_close("dx by hand", &dx, &[0.0; 8], 1e-6, 0.0);
    assert_close("dgamma by hand", &dgamma, &[0.0; 2], 1e-6, 0.0);
    assert_close("dbeta by hand", &dbeta, &[4.0; 2], 0.0, 0.0);
}

#[test]
fn batchnorm_eval_matches_cpu() {
    let mut rng = HostRng::new(11);
    for &(n, c, hw) in SHAPES {
        let s = BnShape { n, c, hw };
        let x = rng.vec_normal(s.len());
        let gamma = rng.vec_uniform(c, 0.5, 1.5);
        let beta = rng.vec_normal(c);
        let rm = rng.vec_normal(c);
        let rv = rng.vec_uniform(c, 0.5, 2.0);
        let eval = BnTrain::with_running(s, BnOut::Plain, &rm, &rv).eval(&x, &gamma, &beta);
        // Element-wise: the moments are given, the rest as in training.
        let bounds: Vec<f64> = (0..x.len())
            .map(|i| {
                let ch = (i / hw) % c;
                y_bound(&given(rm[ch], rv[ch], BN_EPS), x[i], gamma[ch], beta[ch])
            })
            .collect();
        assert_within(
            &format!("eval {s:?}"),
            &eval,
            &batchnorm_eval_cpu(&s, &x, &gamma, &beta, &rm, &rv),
            &bounds,
        );
    }
}

#[test]
fn batchnorm_backward_matches_cpu_and_accumulates() {
    let mut rng = HostRng::new(12);
    for &(n, c, hw) in SHAPES {
        let s = BnShape { n, c, hw };
        let b = backward_case(&mut rng, &BnTrain::new(s, BnOut::Plain));
        let (dx, dgamma, dbeta) =
            batchnorm_backward_cpu(&s, &b.x, &b.gamma, &b.mean, &b.rstd, &b.dy);
        // dgamma/dbeta are sums of up to 5555 O(1) terms (magnitude ~sqrt(M)): f32 error ~1e-5
        // relative to the partial sums; dx subtracts per-channel means of those sums.
        let tol = [[1e-4, 1e-4], [2e-3, 1e-4], [2e-3, 1e-4]];
        let want = [&dx[..], &dgamma, &dbeta];
        assert_grads_accumulate(&format!("{s:?}"), &b.got, &b.before, want, tol);
    }
}

#[test]
fn batchnorm_backward_finite_difference() {
    // L = sum(r * bn(x; gamma, beta)) through the batch statistics, in f64 on the CPU;
    // the GPU forward provides mean/invstd and the GPU backward gets dy = r.
    let mut rng = HostRng::new(13);
    // f32 and vec4 entries.
    for (n, c, hw) in [(2usize, 3usize, 5usize), (3, 2, 3), (2, 3, 4)] {
        let s = BnShape { n, c, hw };
        let [x, gamma, beta, r] = fd_inputs(&mut rng, &s);
        let loss =
            |x: &[f64], g: &[f64], b: &[f64]| weighted_sum(&batchnorm_train_f64(&s, x, g, b), &r);
        let got = gradients(&BnTrain::new(s, BnOut::Plain), [&x, &gamma, &beta], &r);
        // f32 GPU arithmetic on O(1) gradients vs an f64 central difference (error ~1e-8).
        fd_check_grads("bn fd", &got, [&x, &gamma, &beta], loss, 1e-4, [1e-3, 1e-3]);
    }
}

#[test]
fn batchnorm_train_is_deterministic() {
    // Same input twice: bit-identical outputs (fixed-order reductions, no atomics).
    let mut rng = HostRng::new(14);
    let s = BnShape {
        n: 5,
        c: 3,
        hw: 1111,
    };
    let x = rng.vec_normal(s.len());
    let (g, b) = (vec![1.0; 3], vec![0.0; 3]);
    let a = gpu_train(&s, &x, &g, &b, &[0.0; 3], &[1.0; 3]);
    let a2 = gpu_train(&s, &x, &g, &b, &[0.0; 3], &[1.0; 3]);
    assert_eq!(a.y, a2.y);
    assert_eq!(a.invstd, a2.invstd);
}
