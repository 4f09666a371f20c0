//! batchnorm_relu: the fused op against the CPU composition relu(batchnorm(x)), forward in
//! training and eval mode, backward (accumulating), and a finite-difference check.

use wgpu_ddpm::gpu::GpuTensor;
use wgpu_ddpm::kernels::batchnorm::*;
use wgpu_ddpm::kernels::batchnorm_relu::*;
use wgpu_ddpm::kernels::relu::relu_cpu;

use crate::common::*;

const SHAPES: &[(usize, usize, usize)] = &[(3, 5, 7 * 9), (1, 1, 2), (5, 3, 1111), (2, 64, 49)];

fn data(rng: &mut HostRng, s: &BnShape) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let x = rng
        .vec_normal(s.len())
        .iter()
        .map(|v| 1.0 + 2.0 * v)
        .collect();
    (x, rng.vec_uniform(s.c, 0.5, 1.5), rng.vec_normal(s.c))
}

/// Runs the fused training forward on x, gamma, beta (running stats 0 and 1), then its
/// backward from `dy` into `grads` (dx, dgamma, dbeta); returns the forward's y, mean and
/// invstd.
fn forward_backward(
    s: &BnShape,
    [x, gamma, beta]: [&[f32]; 3],
    dy: &[f32],
    grads: [&GpuTensor; 3],
) -> [GpuTensor; 3] {
    let gpu = gpu();
    let t = |v: &[f32]| upload(&gpu, v, &[v.len()]);
    let (xg, gg, bg, dyg) = (t(x), t(gamma), t(beta), t(dy));
    let (rmg, rvg) = (t(&vec![0.0; s.c]), t(&vec![1.0; s.c]));
    let (yg, mg, ig) = (gpu.zeros(&[s.len()]), gpu.zeros(&[s.c]), gpu.zeros(&[s.c]));
    let stats = [&rmg, &rvg, &mg, &ig];
    let mut ds = batchnorm_train(&gpu, s, &xg, &gg, &bg, stats, &yg, BnOut::Relu);
    let saved = [&mg, &ig];
    ds.extend(batchnorm_backward(
        &gpu,
        s,
        &xg,
        &gg,
        saved,
        &dyg,
        Some(&yg),
        grads,
    ));
    run(&gpu, ds);
    [yg, mg, ig]
}

#[test]
fn batchnorm_relu_forward_matches_cpu() {
    let gpu = gpu();
    let mut rng = HostRng::new(70);
    for &(n, c, hw) in SHAPES {
        let s = BnShape { n, c, hw };
        let (x, gamma, beta) = data(&mut rng, &s);
        let (rm, rv) = (rng.vec_normal(c), rng.vec_uniform(c, 0.5, 2.0));
        let t = |v: &[f32]| upload(&gpu, v, &[v.len()]);
        let (xg, gg, bg, rmg, rvg) = (t(&x), t(&gamma), t(&beta), t(&rm), t(&rv));
        let (yg, mg, ig) = (t(&vec![7.0; s.len()]), t(&vec![7.0; c]), t(&vec![7.0; c]));
        let stats = [&rmg, &rvg, &mg, &ig];
        run(
            &gpu,
            batchnorm_train(&gpu, &s, &xg, &gg, &bg, stats, &yg, BnOut::Relu),
        );
        let (mut rm2, mut rv2) = (rm.clone(), rv.clone());
        let (want, _, _) = batchnorm_train_cpu(&s, &x, &gamma, &beta, &mut rm2, &mut rv2);
        let what = format!("batchnorm_relu train {s:?}");
        assert_close(&what, &gpu.read(&yg), &relu_cpu(&want), 1e-4, 1e-4);
        assert_close(&what, &gpu.read(&rmg), &rm2, 1e-5, 1e-4);
        assert_close(&what, &gpu.read(&rvg), &rv2, 1e-5, 1e-4);

        let ye = t(&vec![7.0; s.len()]);
        let running = [&rmg, &rvg];
        let eval = batchnorm_eval(&gpu, &s, &xg, &gg, &bg, running, &ye, BnOut::Relu);
        run(&gpu, [eval]);
        let want = batchnorm_eval_cpu(&s, &x, &gamma, &beta, &rm2, &rv2);
        let what = format!("batchnorm_relu eval {s:?}");
        assert_close(&what, &gpu.read(&ye), &relu_cpu(&want), 1e-4, 1e-4);
    }
}

#[test]
fn batchnorm_relu_backward_matches_cpu_and_accumulates() {
    let gpu = gpu();
    let mut rng = HostRng::new(71);
    for &(n, c, hw) in SHAPES {
        let s = BnShape { n, c, hw };
        let (x, gamma, beta) = data(&mut rng, &s);
        let t = |v: &[f32]| upload(&gpu, v, &[v.len()]);
        let dy = rng.vec_normal(s.len());
        let (dx0, dg0, db0) = (
            rng.vec_normal(s.len()),
            rng.vec_normal(c),
            rng.vec_normal(c),
        );
        let (dxg, dgg, dbg) = (t(&dx0), t(&dg0), t(&db0));
        let [yg, mg, ig] = forward_backward(&s, [&x, &gamma, &beta], &dy, [&dxg, &dgg, &dbg]);
        let (mean, invstd, y) = (gpu.read(&mg), gpu.read(&ig), gpu.read(&yg));
        let (dx, dgam, dbet) = batchnorm_relu_backward_cpu(&s, &x, &gamma, &mean, &invstd, &y, &dy);
        let what = format!("batchnorm_relu backward {s:?}");
        assert_accumulates(
            &format!("{what} dx"),
            &gpu.read(&dxg),
            &dx0,
            &dx,
            1e-4,
            1e-3,
        );
        assert_accumulates(
            &format!("{what} dgamma"),
            &gpu.read(&dgg),
            &dg0,
            &dgam,
            1e-3,
            1e-3,
        );
        assert_accumulates(
            &format!("{what} dbeta"),
            &gpu.read(&dbg),
            &db0,
            &dbet,
            1e-3,
            1e-3,
        );
    }
}

/// L = sum(r * relu(bn(x))) in f64; the kernel's gradient must match central differences.
#[test]
fn batchnorm_relu_backward_finite_difference() {
    let gpu = gpu();
    let mut rng = HostRng::new(72);
    let s = BnShape { n: 2, c: 3, hw: 5 };
    let (x, gamma, beta) = data(&mut rng, &s);
    let r = rng.vec_normal(s.len());
    let loss = |xs: &[f64], gs: &[f64], bs: &[f64]| -> f64 {
        let y = batchnorm_train_f64(&s, xs, gs, bs);
        y.iter().zip(&r).map(|(v, w)| v.max(0.0) * *w as f64).sum()
    };
    let (dxg, dgg, dbg) = (gpu.zeros(&[s.len()]), gpu.zeros(&[s.c]), gpu.zeros(&[s.c]));
    forward_backward(&s, [&x, &gamma, &beta], &r, [&dxg, &dgg, &dbg]);
    let (xd, gd, bd) = (f64s(&x), f64s(&gamma), f64s(&beta));
    let eps = 1e-4;
    fd_check(
        "batchnorm_relu fd dx",
        &gpu.read(&dxg),
        &xd,
        eps,
        |v| loss(v, &gd, &bd),
        2e-3,
        2e-3,
    );
    fd_check(
        "batchnorm_relu fd dgamma",
        &gpu.read(&dgg),
        &gd,
        eps,
        |v| loss(&xd, v, &bd),
        2e-3,
        2e-3,
    );
    fd_check(
        "batchnorm_relu fd dbeta",
        &gpu.read(&dbg),
        &bd,
        eps,
        |v| loss(&xd, &gd, v),
        2e-3,
        2e-3,
    );
}
