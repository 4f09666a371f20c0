use wgpu_ddpm::diffusion::{Schedule, ScheduleKind};
use wgpu_ddpm::kernels::add_noise::*;

use crate::common::*;
use crate::elementwise_support::*;

/// Forward on the GPU (to draw t and eps), then the backward of L = sum(w * x_t) into
/// prefilled gradient buffers: GPU vs CPU reference, accumulation, and a finite-difference
/// check of the composed f64 op in x0 and eps.
fn case(n: usize, chw: usize, t_max: usize, seed: u64) {
    let gpu = gpu();
    let table = Schedule::new(ScheduleKind::Linear, t_max)
        .unwrap()
        .gpu_table();
    let mut rng = HostRng::new(seed);
    let x0 = Filled::new(rng.vec_uniform(n * chw, -1.0, 1.0), &[n, chw]);
    let [w, dx0, deps] = [(); 3].map(|_| Filled::normal(&mut rng, &[n, chw]));
    let tab = gpu.upload(&table, &[t_max + 1, 4]);
    let state = gpu.upload_u32(&rng_state_words(seed, 3), &[4]);
    let (t, xt, eps) = (gpu.zeros(&[n]), gpu.zeros(&[n, chw]), gpu.zeros(&[n, chw]));
    run(
        &gpu,
        [
            add_noise(&gpu, n, chw, None, &tab, &state, &x0.dev, &t, &xt, &eps),
            add_noise_backward(&gpu, n, chw, &tab, &t, &w.dev, &dx0.dev, &deps.dev),
        ],
    );
    let (t_host, eps_host) = (gpu.read_u32(&t), gpu.read(&eps));
    let (gx, ge) = add_noise_backward_cpu(chw, &table, &t_host, &w.host);
    let what = format!("add_noise_backward n {n} chw {chw}");
    dx0.assert_accumulated(&format!("{what} dx0"), &gx, 1e-5, 1e-5);
    deps.assert_accumulated(&format!("{what} deps"), &ge, 1e-5, 1e-5);
    // Finite differences of L(x0, eps) = sum w * (sqrt(abar_t) x0 + sqrt(1 - abar_t) eps).
    let noised = |x0: &[f64], e: &[f64]| -> Vec<f64> {
        (0..n * chw)
            .map(|i| {
                let row = &table[4 * t_host[i / chw] as usize..];
                (row[2] as f64).sqrt() * x0[i] + (row[3] as f64).sqrt() * e[i]
            })
            .collect()
    };
    fd_check_partials(
        &format!("{what} fd"),
        [&f64s(&x0.host), &f64s(&eps_host)],
        1e-3,
        |[x0, e]| weighted_sum(&noised(x0, e), &w.host),
        [("x0", &gx, 1e-4, 1e-4), ("eps", &ge, 1e-4, 1e-4)],
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
