//! batchnorm_relu: the fused op against the CPU composition relu(batchnorm(x)), forward in
//! training and eval mode, backward (accumulating), and a finite-difference check.

use wgpu_ddpm::kernels::batchnorm::*;
use wgpu_ddpm::kernels::batchnorm_relu::*;
use wgpu_ddpm::kernels::relu::relu_cpu;

use crate::common::*;
use crate::norm_support::{
    assert_grads_accumulate, fd_check_grads, forward_backward, gpu_forward, gradients,
    offset_normal, BnTrain, Grads,
};

// f32 entries (hw % 4 != 0) and vec4 ones, each with one chunk and several.
const SHAPES: &[(usize, usize, usize)] = &[
    (3, 5, 7 * 9),
    (1, 1, 2),
    (5, 3, 1111),
    (2, 64, 49),
    (1, 1, 4),
    (2, 3, 20),
    (3, 2, 3000),
];

fn data(rng: &mut HostRng, s: &BnShape) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let x = offset_normal(rng, s.len(), 1.0, 2.0);
    (x, rng.vec_uniform(s.c, 0.5, 1.5), rng.vec_normal(s.c))
}

#[test]
fn batchnorm_relu_forward_matches_cpu() {
    let gpu = gpu();
    let mut rng = HostRng::new(70);
    for &(n, c, hw) in SHAPES {
        let s = BnShape { n, c, hw };
        let (x, gamma, beta) = data(&mut rng, &s);
        let (rm, rv) = (rng.vec_normal(c), rng.vec_uniform(c, 0.5, 2.0));
        let bn = BnTrain::with_running(s, BnOut::Relu, &rm, &rv);
        let y = gpu_forward(&bn, &x, &gamma, &beta).y;
        let (mut rm2, mut rv2) = (rm.clone(), rv.clone());
        let (want, _, _) = batchnorm_train_cpu(&s, &x, &gamma, &beta, &mut rm2, &mut rv2);
        let what = format!("batchnorm_relu train {s:?}");
        assert_close(&what, &y, &relu_cpu(&want), 1e-4, 1e-4);
        assert_close(&what, &gpu.read(&bn.running[0]), &rm2, 1e-5, 1e-4);
        assert_close(&what, &gpu.read(&bn.running[1]), &rv2, 1e-5, 1e-4);

        let ye = bn.eval(&x, &gamma, &beta);
        let want = batchnorm_eval_cpu(&s, &x, &gamma, &beta, &rm2, &rv2);
        let what = format!("batchnorm_relu eval {s:?}");
        assert_close(&what, &ye, &relu_cpu(&want), 1e-4, 1e-4);
    }
}

#[test]
fn batchnorm_relu_backward_matches_cpu_and_accumulates() {
    let gpu = gpu();
    let mut rng = HostRng::new(71);
    for &(n, c, hw) in SHAPES {
        let s = BnShape { n, c, hw };
        let (x, gamma, beta) = data(&mut rng, &s);
        let dy = rng.vec_normal(s.len());
        let grads = Grads::random(&mut rng, &s);
        let bn = BnTrain::new(s, BnOut::Relu);
        let [yg, mg, ig] = forward_backward(&bn, [&x, &gamma, &beta], &dy, grads.refs());
        let (mean, invstd, y) = (gpu.read(&mg), gpu.read(&ig), gpu.read(&yg));
        let (dx, dgam, dbet) = batchnorm_relu_backward_cpu(&s, &x, &gamma, &mean, &invstd, &y, &dy);
        let what = format!("batchnorm_relu backward {s:?}");
        let tol = [[1e-4, 1e-3], [1e-3, 1e-3], [1e-3, 1e-3]];
        let want = [&dx[..], &dgam, &dbet];
        assert_grads_accumulate(&what, &grads.read(), &grads.before, want, tol);
    }
}

/// L = sum(r * relu(bn(x))) in f64; the kernel's gradient must match central differences.
#[test]
fn batchnorm_relu_backward_finite_difference() {
    let mut rng = HostRng::new(72);
    // f32 and vec4 entries.
    for hw in [5, 4] {
        let s = BnShape { n: 2, c: 3, hw };
        let (x, gamma, beta) = data(&mut rng, &s);
        let r = rng.vec_normal(s.len());
        let loss = |xs: &[f64], gs: &[f64], bs: &[f64]| -> f64 {
            let y = batchnorm_train_f64(&s, xs, gs, bs);
            y.iter().zip(&r).map(|(v, w)| v.max(0.0) * *w as f64).sum()
        };
        let got = gradients(&BnTrain::new(s, BnOut::Relu), [&x, &gamma, &beta], &r);
        let at = [&x[..], &gamma, &beta];
        fd_check_grads("batchnorm_relu fd", &got, at, loss, 1e-4, [2e-3, 2e-3]);
    }
}
