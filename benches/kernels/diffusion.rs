//! `common` and `rng` are WGSL libraries composed into the kernels benched here. rng_fill is a
//! test-only kernel (raw Philox output for GPU == CPU checks); rng_normal_fill is its timed twin.
//! gaussian_eps (the closed-form Gaussian-data predictor) is a test-only model and is not benched.
//! Groups `add_noise`, `add_noise_backward`, `denoise`, `denoise_backward` (DDPM, and DDIM
//! with clip, whose mask reads x and eps), `rng_normal_fill` and `sampler_step` (prepare + denoise +
//! advance, the per-step overhead of the sampling loop without a model) at MNIST's shape,
//! batch 128 x 1 x 28 x 28.
use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::diffusion::{Schedule, ScheduleKind};
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::add_noise::{add_noise, add_noise_backward, rng_state_words};
use wgpu_ddpm::kernels::denoise::{
    denoise, denoise_backward, sampler_advance, sampler_prepare, DenoiseMode, DenoiseStep,
};
use wgpu_ddpm::kernels::rng::rng_normal_fill;

pub fn bench(b: &Bencher) {
    let gpu = &b.gpu;
    let (n, chw) = (128, 28 * 28);
    let len = n * chw;
    let shape = format!("{n}x1x28x28");
    let s = Schedule::new(ScheduleKind::Linear, 1000).unwrap();
    let table = gpu.upload(&s.gpu_table(), &[1001, 4]);
    let (x0, xt, eps, t) = (
        gpu.zeros(&[len]),
        gpu.zeros(&[len]),
        gpu.zeros(&[len]),
        gpu.zeros(&[n]),
    );
    let rng_state = gpu.upload_u32(&rng_state_words(1, 2), &[4]);
    let ts_host: Vec<u32> = (0..=1000u32).rev().collect();
    let ts = gpu.upload_u32(&ts_host, &[1001]);
    // k = 500: a mid-run step with noise.
    let state = gpu.upload_u32(&[500, 1, 0, 0], &[4]);
    if b.enabled("add_noise") {
        let mut p = Program::new();
        p.push(add_noise(
            gpu, n, chw, None, &table, &rng_state, &x0, &t, &xt, &eps,
        ));
        b.report("add_noise", &shape, &p, 0.0, 12.0 * len as f64);
    }
    if b.enabled("add_noise_backward") {
        // Reads g, reads + writes dx0 and deps.
        let (g, dx0, deps) = (gpu.zeros(&[len]), gpu.zeros(&[len]), gpu.zeros(&[len]));
        let mut p = Program::new();
        p.push(add_noise_backward(gpu, n, chw, &table, &t, &g, &dx0, &deps));
        b.report("add_noise_backward", &shape, &p, 0.0, 20.0 * len as f64);
    }
    if b.enabled("denoise_backward") {
        let (g, dx, deps) = (gpu.zeros(&[len]), gpu.zeros(&[len]), gpu.zeros(&[len]));
        for (name, mode, clip, bytes) in [
            ("ddpm", DenoiseMode::DdpmSmall, false, 20.0),
            (
                "ddim eta 0 clip",
                DenoiseMode::Ddim { eta: 0.0 },
                true,
                28.0,
            ),
        ] {
            let mut p = Program::new();
            p.push(denoise_backward(
                gpu,
                n,
                chw,
                &DenoiseStep::new(mode, clip, &table, &ts, &state),
                &g,
                &xt,
                &eps,
                &dx,
                &deps,
            ));
            b.report(
                "denoise_backward",
                &format!("{shape} {name}"),
                &p,
                0.0,
                bytes * len as f64,
            );
        }
    }
    if b.enabled("rng_normal_fill") {
        let mut p = Program::new();
        p.push(rng_normal_fill(gpu, &state, &xt));
        b.report("rng_normal_fill", &shape, &p, 0.0, 4.0 * len as f64);
    }
    for (name, mode) in [
        ("ddpm", DenoiseMode::DdpmSmall),
        ("ddim eta 0", DenoiseMode::Ddim { eta: 0.0 }),
    ] {
        if b.enabled("denoise") {
            let mut p = Program::new();
            p.push(denoise(
                gpu,
                n,
                chw,
                &DenoiseStep::new(mode, false, &table, &ts, &state),
                &eps,
                &xt,
            ));
            b.report(
                "denoise",
                &format!("{shape} {name}"),
                &p,
                0.0,
                12.0 * len as f64,
            );
        }
    }
    if b.enabled("sampler_step") {
        // 50 steps of [prepare, denoise, advance] in one submit (advance saturates at k_max).
        let mut p = Program::new();
        for _ in 0..50 {
            p.push(sampler_prepare(gpu, n, &ts, &state, &t));
            p.push(denoise(
                gpu,
                n,
                chw,
                &DenoiseStep::new(DenoiseMode::DdpmSmall, false, &table, &ts, &state),
                &eps,
                &xt,
            ));
            p.push(sampler_advance(gpu, 999, &state));
        }
        let m = b.report(
            "sampler_step",
            &format!("{shape} x50 steps"),
            &p,
            0.0,
            50.0 * 12.0 * len as f64,
        );
        println!("{:<24} {:.3} ms per step", "", m.median_s * 1e3 / 50.0);
    }
}
