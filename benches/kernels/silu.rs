use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::silu::{silu, silu_backward};

pub fn bench(b: &Bencher) {
    let gpu = &b.gpu;
    let n = b.batch();
    // The same tensor as the gelu group: 64 channels at 64x64.
    let len = n * 64 * 64 * 64;
    let shape = format!("{n}x64x64x64");
    let (x, y, dx) = (gpu.zeros(&[len]), gpu.zeros(&[len]), gpu.zeros(&[len]));
    if b.enabled("silu") {
        let mut p = Program::new();
        p.push(silu(gpu, &x, &y));
        b.report("silu", &shape, &p, 0.0, 8.0 * len as f64);
    }
    if b.enabled("silu_backward") {
        let mut p = Program::new();
        p.push(silu_backward(gpu, &x, &y, &dx));
        b.report("silu_backward", &shape, &p, 0.0, 16.0 * len as f64);
    }
}
