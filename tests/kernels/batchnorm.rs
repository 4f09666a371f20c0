use wgpu_ddpm::kernels::batchnorm::*;

use crate::common::*;
use crate::norm_support::{
    assert_grads_accumulate, backward_case, fd_check_grads, fd_inputs, forward_inputs,
    gpu_backward, gpu_forward, gradients, weighted_sum, BnTrain, Grads, MEAN_RTOL,
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

// Shapes: odd ones, several chunks per channel (M > 2048 and not a multiple of it), and the
// seed U-Net's three BN shapes at N=2.
const SHAPES: &[(usize, usize, usize)] = &[
    (3, 5, 7 * 9),
    (1, 1, 2),
    (3, 2, 1000),
    (5, 3, 1111),
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
        // f32 sums of up to 5555 values: relative error ~1e-6; y is O(4), so 1e-4 is generous
        // yet far below any indexing or formula error.
        let what = format!("{s:?}");
        assert_close(&format!("y {what}"), &g.y, &y, 1e-4, 1e-4);
        assert_close(&format!("mean {what}"), &g.mean, &mean, 1e-5, 1e-5);
        assert_close(&format!("invstd {what}"), &g.invstd, &invstd, 1e-5, 1e-4);
        assert_close(&format!("running_mean {what}"), &g.rm, &rm, 1e-5, 1e-5);
        assert_close(&format!("running_var {what}"), &g.rv, &rv, 1e-5, 1e-4);
    }
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
    for (who, y, mean, invstd, rm, rv) in [
        ("cpu", &y, &mean, &invstd, &rm, &rv),
        ("gpu", &g.y, &g.mean, &g.invstd, &g.rm, &g.rv),
    ] {
        // f32 rounding of O(1) values only.
        assert_close(&format!("{who} y"), y, &want_y, 1e-6, 1e-6);
        assert_close(&format!("{who} mean"), mean, &[2.5, 2.5], 0.0, MEAN_RTOL);
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
    assert_close("eval by hand", &eval, &want, 1e-6, 1e-6);
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
        // Element-wise, a few f32 roundings.
        assert_close(
            &format!("eval {s:?}"),
            &eval,
            &batchnorm_eval_cpu(&s, &x, &gamma, &beta, &rm, &rv),
            1e-5,
            1e-5,
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
    for (n, c, hw) in [(2usize, 3usize, 5usize), (3, 2, 3)] {
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
