//! batchnorm_eval_backward: both passes (the dx pass and batchnorm_eval_backward_params, the
//! gamma and beta gradients) against the CPU reference, accumulating, and by finite differences.

use wgpu_ddpm::kernels::batchnorm::{batchnorm_eval_cpu, BnShape};
use wgpu_ddpm::kernels::batchnorm_eval_backward::*;

use crate::common::*;

fn case(n: usize, c: usize, hw: usize, seed: u64) {
    let gpu = gpu();
    let len = n * c * hw;
    let mut rng = HostRng::new(seed);
    let x = rng.vec_normal(len);
    let gamma = rng.vec_uniform(c, 0.5, 1.5);
    let beta = rng.vec_normal(c);
    let rm = rng.vec_normal(c);
    let rv = rng.vec_uniform(c, 0.2, 2.0);
    let dy = rng.vec_normal(len);
    let (bx, bg, bb) = (rng.vec_normal(len), rng.vec_normal(c), rng.vec_normal(c));
    let up = |v: &[f32]| upload(&gpu, v, &[v.len()]);
    let (xg, gg, rmg, rvg, dyg) = (up(&x), up(&gamma), up(&rm), up(&rv), up(&dy));
    let (dx, dgamma, dbeta) = (up(&bx), up(&bg), up(&bb));
    run(
        &gpu,
        batchnorm_eval_backward(
            &gpu,
            n,
            c,
            hw,
            &xg,
            &gg,
            &rmg,
            &rvg,
            &dyg,
            Some(&dx),
            Some((&dgamma, &dbeta)),
        ),
    );
    let (wx, wg, wb) = batchnorm_eval_backward_cpu(n, c, hw, &x, &gamma, &rm, &rv, &dy);
    let what = format!("batchnorm_eval_backward {n}x{c}x{hw}");
    assert_accumulates(&format!("{what} dx"), &gpu.read(&dx), &bx, &wx, 1e-5, 1e-5);
    assert_accumulates(
        &format!("{what} dgamma"),
        &gpu.read(&dgamma),
        &bg,
        &wg,
        1e-4,
        1e-4,
    );
    assert_accumulates(
        &format!("{what} dbeta"),
        &gpu.read(&dbeta),
        &bb,
        &wb,
        1e-4,
        1e-4,
    );
    // Finite differences of L = sum dy * batchnorm_eval(x, gamma, beta) (f32 forward, so a
    // wide step and tolerance).
    let s = BnShape { n, c, hw };
    let to32 = |v: &[f64]| v.iter().map(|a| *a as f32).collect::<Vec<f32>>();
    let loss = |x: &[f32], g: &[f32], b: &[f32]| -> f64 {
        let y = batchnorm_eval_cpu(&s, x, g, b, &rm, &rv);
        y.iter().zip(&dy).map(|(y, d)| *y as f64 * *d as f64).sum()
    };
    fd_check(
        &format!("{what} fd x"),
        &wx,
        &f64s(&x),
        1e-2,
        |v| loss(&to32(v), &gamma, &beta),
        2e-3,
        2e-3,
    );
    fd_check(
        &format!("{what} fd gamma"),
        &wg,
        &f64s(&gamma),
        1e-2,
        |v| loss(&x, &to32(v), &beta),
        2e-3,
        2e-3,
    );
    fd_check(
        &format!("{what} fd beta"),
        &wb,
        &f64s(&beta),
        1e-2,
        |v| loss(&x, &gamma, &to32(v)),
        2e-3,
        2e-3,
    );
}

#[test]
fn batchnorm_eval_backward_matches_cpu_and_fd() {
    case(1, 1, 1, 1);
    case(2, 3, 5 * 7, 2);
    case(3, 2, 300, 3);
    case(1, 5, 16, 4);
    // The dx pass's vec4 entry with one vec4 per plane, and planes of several.
    case(3, 2, 4, 5);
    case(2, 3, 4 * 49, 6);
}

#[test]
fn batchnorm_eval_backward_skips_what_is_not_asked() {
    let gpu = gpu();
    let (n, c, hw) = (2, 3, 6);
    let x = gpu.upload(&vec![1.0; n * c * hw], &[n * c * hw]);
    let ones = gpu.upload(&[1.0; 3], &[3]);
    let zeros = gpu.zeros(&[3]);
    let d = batchnorm_eval_backward(&gpu, n, c, hw, &x, &ones, &zeros, &ones, &x, None, None);
    assert!(d.is_empty());
    let dx = gpu.zeros(&[n * c * hw]);
    let d = batchnorm_eval_backward(
        &gpu,
        n,
        c,
        hw,
        &x,
        &ones,
        &zeros,
        &ones,
        &x,
        Some(&dx),
        None,
    );
    assert_eq!(d.len(), 1);
}
