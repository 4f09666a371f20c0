use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::gelu::{gelu, gelu_backward};

pub fn bench(b: &Bencher) {
    let gpu = &b.gpu;
    let n = b.batch();
    // The seed-003 network's largest activation: 64 channels at 64x64.
    let len = n * 64 * 64 * 64;
    let shape = format!("{n}x64x64x64");
    let (x, y, dx) = (gpu.zeros(&[len]), gpu.zeros(&[len]), gpu.zeros(&[len]));
    if b.enabled("gelu") {
        let mut p = Program::new();
        p.push(gelu(gpu, &x, &y));
        b.report("gelu", &shape, &p, 0.0, 8.0 * len as f64);
    }
    if b.enabled("gelu_backward") {
        let mut p = Program::new();
        p.push(gelu_backward(gpu, &x, &y, &dx));
        b.report("gelu_backward", &shape, &p, 0.0, 16.0 * len as f64);
    }
}
