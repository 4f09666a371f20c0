//! The `mse` group times both passes (mse + mse_sum).
use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::mse::{mse, mse_backward};

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
}
