use wgpu_ddpm::diffusion::{Schedule, ScheduleKind};
use wgpu_ddpm::kernels::add_noise::*;
use wgpu_ddpm::kernels::prediction::Prediction;
use wgpu_ddpm::kernels::rng::PURPOSE_EPS;

use crate::common::tol::*;
use crate::common::*;

fn case(
    n: usize,
    chw: usize,
    t_max: usize,
    seed: u64,
    step: u64,
) -> (Vec<u32>, Vec<f32>, Vec<f32>) {
    let gpu = gpu();
    let sched = Schedule::new(ScheduleKind::Linear, t_max).unwrap();
    let table = sched.gpu_table();
    let x0 = HostRng::new(seed ^ step).vec_uniform(n * chw, -1.0, 1.0);
    let tab = gpu.upload(&table, &[t_max + 1, 4]);
    let state = gpu.upload_u32(&rng_state_words(seed, step), &[4]);
    let x0g = upload(&gpu, &x0, &[n, chw]);
    let (t, xt, eps) = (gpu.zeros(&[n]), gpu.zeros(&[n, chw]), gpu.zeros(&[n, chw]));
    run(
        &gpu,
        [add_noise(
            &gpu, n, chw, None, &tab, &state, &x0g, &t, &xt, &eps,
        )],
    );
    let (t_want, xt_want, eps_want) = add_noise_cpu(n, chw, &table, seed, step, &x0);
    let got_t = gpu.read_u32(&t);
    assert_eq!(got_t, t_want, "t differs (n {n}, chw {chw})");
    assert!(got_t.iter().all(|t| (1..=t_max as u32).contains(t)));
    // eps: the Box-Muller bound on identical uniforms. x_t = a x0 + b eps with a, b the
    // sqrt of table entries (4.5 ULP on the GPU, 0.5 in the f32 reference), two roundings
    // on each side, plus b times eps's own error.
    let eps_bound = normal_bounds(seed, step, PURPOSE_EPS, n * chw);
    assert_within("add_noise eps", &gpu.read(&eps), &eps_want, &eps_bound);
    let xt_bound = xt_bounds(&table, &got_t, &x0, &eps_want, &eps_bound);
    assert_within("add_noise xt", &gpu.read(&xt), &xt_want, &xt_bound);
    (got_t, xt_want, eps_want)
}

/// Bounds of x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps per element, given eps's bounds.
fn xt_bounds(table: &[f32], t: &[u32], x0: &[f32], eps: &[f32], eps_bound: &[f64]) -> Vec<f64> {
    let chw = x0.len() / t.len();
    (0..x0.len())
        .map(|e| {
            let row = &table[4 * t[e / chw] as usize..][..4];
            let (a, b) = ((row[2] as f64).sqrt(), (row[3] as f64).sqrt());
            let mag = (a * x0[e] as f64).abs() + (b * eps[e] as f64).abs();
            bound(SQRT_ULP + 0.5, 4, mag) + b * eps_bound[e]
        })
        .collect()
}

#[test]
fn add_noise_matches_cpu() {
    // Odd sizes (chw odd so element pairs straddle images), one seed-U-Net shape at batch 2.
    case(1, 1, 2, 0, 0);
    case(3, 5 * 7 * 9, 1000, 12345, 17);
    case(5, 7, 10, u64::MAX, 1 << 33);
    case(2, 28 * 28, 1000, 99, 1);
}

#[test]
fn add_noise_depends_on_seed_and_step() {
    let (t1, _, e1) = case(4, 33, 1000, 1, 1);
    let (t2, _, e2) = case(4, 33, 1000, 1, 2);
    let (t3, _, e3) = case(4, 33, 1000, 2, 1);
    assert!(t1 != t2 && t1 != t3 && e1 != e2 && e1 != e3);
}

#[test]
fn add_noise_replays_with_new_rng_state() {
    // One recorded dispatch, the host rewrites rng_state between replays.
    let gpu = gpu();
    let (n, chw, t_max) = (3, 11, 50);
    let table = Schedule::new(ScheduleKind::Cosine, t_max)
        .unwrap()
        .gpu_table();
    let x0 = HostRng::new(4).vec_normal(n * chw);
    let tab = gpu.upload(&table, &[t_max + 1, 4]);
    let state = gpu.upload_u32(&[0; 4], &[4]);
    let x0g = upload(&gpu, &x0, &[n, chw]);
    let (t, xt, eps) = (gpu.zeros(&[n]), gpu.zeros(&[n, chw]), gpu.zeros(&[n, chw]));
    let mut prog = wgpu_ddpm::gpu::Program::new();
    prog.push(add_noise(
        &gpu, n, chw, None, &tab, &state, &x0g, &t, &xt, &eps,
    ));
    for step in 0..3u64 {
        gpu.queue.write_buffer(
            &state.buf,
            0,
            bytemuck::cast_slice(&rng_state_words(77, step)),
        );
        prog.run(&gpu);
        let (tw, xw, ew) = add_noise_cpu(n, chw, &table, 77, step, &x0);
        assert_eq!(gpu.read_u32(&t), tw);
        let eb = normal_bounds(77, step, PURPOSE_EPS, n * chw);
        let xb = xt_bounds(&table, &tw, &x0, &ew, &eb);
        assert_within("replayed xt", &gpu.read(&xt), &xw, &xb);
    }
}

#[test]
fn add_noise_statistics() {
    // x0 = 0: x_t / sqrt(1 - abar_t) must be N(0, 1); t uniform-ish over 1..T.
    let (n, chw, t_max) = (64, 256, 1000);
    let (t, xt, eps) = case(n, chw, t_max, 5, 0);
    let _ = xt;
    let m = eps.iter().map(|v| *v as f64).sum::<f64>() / eps.len() as f64;
    let v = eps.iter().map(|e| (*e as f64 - m).powi(2)).sum::<f64>() / eps.len() as f64;
    assert!(
        m.abs() < 0.02 && (v - 1.0).abs() < 0.03,
        "eps mean {m} var {v}"
    );
    let tm = t.iter().map(|t| *t as f64).sum::<f64>() / n as f64;
    assert!(
        (tm - 500.5).abs() < 5.0 * 288.7 / (n as f64).sqrt(),
        "t mean {tm}"
    );
}

#[test]
fn add_noise_target_matches_cpu() {
    // The target each prediction trains on, from the same draws: eps itself (as add_noise),
    // x0 copied exactly, v = sqrt(abar) eps - sqrt(1 - abar) x0 with xt's bound.
    let gpu = gpu();
    for (n, chw, t_max, seed, step) in [
        (3, 5 * 7 * 9, 1000, 8u64, 3u64),
        (5, 7, 10, 1, 0),
        (1, 1, 2, 2, 9),
    ] {
        let table = Schedule::new(ScheduleKind::Cosine, t_max)
            .unwrap()
            .gpu_table();
        let x0 = HostRng::new(seed).vec_uniform(n * chw, -1.0, 1.0);
        let tab = gpu.upload(&table, &[t_max + 1, 4]);
        let state = gpu.upload_u32(&rng_state_words(seed, step), &[4]);
        let x0g = upload(&gpu, &x0, &[n, chw]);
        let (t_want, xt_want, eps) = add_noise_cpu(n, chw, &table, seed, step, &x0);
        let eps_bound = normal_bounds(seed, step, PURPOSE_EPS, n * chw);
        for pred in Prediction::ALL {
            let (t, xt, y) = (gpu.zeros(&[n]), gpu.zeros(&[n, chw]), gpu.zeros(&[n, chw]));
            run(
                &gpu,
                [add_noise_target(
                    &gpu,
                    pred,
                    n,
                    chw,
                    None,
                    &tab,
                    &state,
                    [&x0g, &t, &xt, &y],
                )],
            );
            assert_eq!(gpu.read_u32(&t), t_want, "{pred}: t");
            let xb = xt_bounds(&table, &t_want, &x0, &eps, &eps_bound);
            assert_within(&format!("{pred}: xt"), &gpu.read(&xt), &xt_want, &xb);
            let want = target_cpu(pred, chw, &table, &t_want, &x0, &eps);
            let bounds = match pred {
                Prediction::Eps => eps_bound.clone(),
                Prediction::X0 => vec![0.0; n * chw],
                // v = a eps - s x0: xt's chain and magnitudes with eps and x0 in each
                // other's place, plus a times eps's own error.
                Prediction::V => {
                    let mut b = xt_bounds(&table, &t_want, &eps, &x0, &vec![0.0; n * chw]);
                    for (e, b) in b.iter_mut().enumerate() {
                        let a = (table[4 * t_want[e / chw] as usize + 2] as f64).sqrt();
                        *b += a * eps_bound[e];
                    }
                    b
                }
            };
            assert_within(&format!("{pred}: target"), &gpu.read(&y), &want, &bounds);
        }
    }
}
