//! Groups `dpm_solver` (the DPM-Solver++ 2M step: model output -> x0 -> update, second order,
//! so it reads x0_prev too) and `dpm_solver_backward`, at MNIST's shape, batch 128 x 1 x 28 x
//! 28, step 5 of 10 on the linear schedule, eps prediction.
use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::diffusion::sampler::linspace_timesteps;
use wgpu_ddpm::diffusion::{Prediction, Schedule, ScheduleKind};
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::dpm_solver::*;

pub fn bench(b: &Bencher) {
    let gpu = &b.gpu;
    let (n, chw) = (128, 28 * 28);
    let len = n * chw;
    let shape = format!("{n}x1x28x28 k 5 of 10");
    let s = Schedule::new(ScheduleKind::Linear, 1000).unwrap();
    let coef = dpm_coefficients(&s.abar, &linspace_timesteps(1000, 10));
    let step = DpmStep {
        pred: Prediction::Eps,
        clip_x0: false,
        coef: gpu.upload(&gpu_coefficients(&coef), &[10, COEF_FLOATS]),
        state: gpu.upload_u32(&[5, 1, 0, 0], &[4]),
    };
    let [x, out, x0, dx, dout] = [(); 5].map(|_| gpu.zeros(&[len]));
    let g2 = gpu.zeros(&[2 * len]);
    if b.enabled("dpm_solver") {
        // Reads out, x, x0; writes x, x0.
        let mut p = Program::new();
        p.push(dpm_solver(gpu, n, chw, &step, &out, &x, &x0));
        b.report("dpm_solver", &shape, &p, 0.0, 20.0 * len as f64);
    }
    if b.enabled("dpm_solver_backward") {
        // Reads g, g0, x, out, dx, dout, dprev; writes dx, dout, dprev.
        let mut p = Program::new();
        p.push(dpm_solver_backward(
            gpu, n, chw, &step, &g2, &x, &out, &dx, &dout, &x0,
        ));
        b.report("dpm_solver_backward", &shape, &p, 0.0, 40.0 * len as f64);
    }
}
