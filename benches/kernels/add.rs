use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::add::{add, add_backward};

pub fn bench(b: &Bencher) {
    let gpu = &b.gpu;
    let n = b.batch();
    // A residual sum at the seed-003 network's largest activation: 64 channels at 64x64.
    let len = n * 64 * 64 * 64;
    let shape = format!("{n}x64x64x64");
    let z = || gpu.zeros(&[len]);
    let (a, bb, y) = (z(), z(), z());
    if b.enabled("add") {
        let mut p = Program::new();
        p.push(add(gpu, &a, &bb, &y));
        b.report("add", &shape, &p, 0.0, 12.0 * len as f64);
    }
    if b.enabled("add_backward") {
        // Reads dy once, reads + writes both gradients.
        let mut p = Program::new();
        p.extend(add_backward(gpu, &y, Some(&a), Some(&bb)));
        b.report("add_backward", &shape, &p, 0.0, 20.0 * len as f64);
    }
}
