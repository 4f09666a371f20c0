//! The `mse` group times both passes (mse + mse_sum); `mse_weighted`, `mse_backward_weighted`
//! and `snr_weight` are the min-SNR loss (`train --min-snr-gamma`) at the same shape.
use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::diffusion::{Schedule, ScheduleKind};
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::mse::{mse, mse_backward, mse_backward_weighted_over, mse_weighted};
use wgpu_ddpm::kernels::prediction::Prediction;
use wgpu_ddpm::kernels::snr_weight::snr_weight;

pub fn bench(b: &Bencher) {
    let gpu = &b.gpu;
    // The training loss: predicted vs true noise over a batch of 1x28x28 images.
    let n = b.batch();
    let len = n * 28 * 28;
    let case = format!("{n}x1x28x28");
    let (pred, target, loss, dpred) = (
        gpu.zeros(&[len]),
        gpu.zeros(&[len]),
        gpu.zeros(&[1]),
        gpu.zeros(&[len]),
    );
    if b.enabled("mse") {
        let mut p = Program::new();
        p.extend(mse(gpu, &pred, &target, &loss));
        b.report("mse", &case, &p, 0.0, 8.0 * len as f64);
    }
    if b.enabled("mse_backward") {
        let mut p = Program::new();
        p.push(mse_backward(gpu, &pred, &target, &dpred));
        b.report("mse_backward", &case, &p, 0.0, 16.0 * len as f64);
    }
    let w = gpu.upload(&vec![0.5; n], &[n]);
    if b.enabled("mse_weighted") {
        let mut p = Program::new();
        p.extend(mse_weighted(gpu, &pred, &target, &w, &loss));
        b.report("mse_weighted", &case, &p, 0.0, 8.0 * len as f64);
    }
    if b.enabled("mse_backward_weighted") {
        let mut p = Program::new();
        p.push(mse_backward_weighted_over(
            gpu, &pred, &target, &w, &dpred, len,
        ));
        b.report("mse_backward_weighted", &case, &p, 0.0, 16.0 * len as f64);
    }
    if b.enabled("snr_weight") {
        let s = Schedule::new(ScheduleKind::Linear, 1000).unwrap();
        let table = gpu.upload(&s.gpu_table(), &[1001, 4]);
        let t = gpu.upload_u32(
            &(0..n as u32).map(|i| 1 + i % 1000).collect::<Vec<_>>(),
            &[n],
        );
        let mut p = Program::new();
        p.push(snr_weight(gpu, Prediction::V, 5.0, &table, &t, &w));
        // Per image: t, its table row and the weight.
        b.report("snr_weight", &format!("{n}"), &p, 0.0, 24.0 * n as f64);
    }
}
