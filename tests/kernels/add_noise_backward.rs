use wgpu_ddpm::diffusion::{Schedule, ScheduleKind};
use wgpu_ddpm::kernels::add_noise::*;

use crate::common::*;

/// Forward on the GPU (to draw t and eps), then the backward of L = sum(w * x_t) into
/// prefilled gradient buffers: GPU vs CPU reference, accumulation, and a finite-difference
/// check of the composed f64 op in x0 and eps.
fn case(n: usize, chw: usize, t_max: usize, seed: u64) {
    let gpu = gpu();
    let table = Schedule::new(ScheduleKind::Linear, t_max)
        .unwrap()
        .gpu_table();
    let mut rng = HostRng::new(seed);
    let x0 = rng.vec_uniform(n * chw, -1.0, 1.0);
    let w = rng.vec_normal(n * chw);
    let (before_x, before_e) = (rng.vec_normal(n * chw), rng.vec_normal(n * chw));
    let tab = gpu.upload(&table, &[t_max + 1, 4]);
    let state = gpu.upload_u32(&rng_state_words(seed, 3), &[4]);
    let x0g = upload(&gpu, &x0, &[n, chw]);
    let (t, xt, eps) = (gpu.zeros(&[n]), gpu.zeros(&[n, chw]), gpu.zeros(&[n, chw]));
    let (wg, dx0, deps) = (
        upload(&gpu, &w, &[n, chw]),
        upload(&gpu, &before_x, &[n, chw]),
        upload(&gpu, &before_e, &[n, chw]),
    );
    run(
        &gpu,
        [
            add_noise(&gpu, n, chw, None, &tab, &state, &x0g, &t, &xt, &eps),
            add_noise_backward(&gpu, n, chw, &tab, &t, &wg, &dx0, &deps),
        ],
    );
    let (t_host, eps_host) = (gpu.read_u32(&t), gpu.read(&eps));
    let (gx, ge) = add_noise_backward_cpu(chw, &table, &t_host, &w);
    let what = format!("add_noise_backward n {n} chw {chw}");
    assert_accumulates(
        &format!("{what} dx0"),
        &gpu.read(&dx0),
        &before_x,
        &gx,
        1e-5,
        1e-5,
    );
    assert_accumulates(
        &format!("{what} deps"),
        &gpu.read(&deps),
        &before_e,
        &ge,
        1e-5,
        1e-5,
    );
    // Finite differences of L(x0, eps) = sum w * (sqrt(abar_t) x0 + sqrt(1 - abar_t) eps).
    let loss = |x0: &[f64], e: &[f64]| -> f64 {
        (0..n * chw)
            .map(|i| {
                let row = &table[4 * t_host[i / chw] as usize..];
                w[i] as f64 * ((row[2] as f64).sqrt() * x0[i] + (row[3] as f64).sqrt() * e[i])
            })
            .sum()
    };
    let (x64, e64) = (f64s(&x0), f64s(&eps_host));
    fd_check(
        &format!("{what} fd x0"),
        &gx,
        &x64,
        1e-3,
        |x| loss(x, &e64),
        1e-4,
        1e-4,
    );
    fd_check(
        &format!("{what} fd eps"),
        &ge,
        &e64,
        1e-3,
        |e| loss(&x64, e),
        1e-4,
        1e-4,
    );
}

#[test]
fn add_noise_backward_matches_cpu_and_fd() {
    // chw below, at and off multiples of 4 (the tail of each image's last quad), several images.
    case(1, 1, 2, 1);
    case(3, 5, 10, 2);
    case(5, 7 * 9, 1000, 3);
    case(2, 28 * 4, 1000, 4);
    case(4, 3 * 11 * 13, 50, 5);
}
