use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::relu::{relu, relu_backward};

pub fn bench(b: &Bencher) {
    let gpu = &b.gpu;
    let n = b.batch();
    // The largest ReLU of the seed U-Net: 64 channels at 28x28.
    let len = n * 64 * 28 * 28;
    let shape = format!("{n}x64x28x28");
    let (x, y, dx) = (gpu.zeros(&[len]), gpu.zeros(&[len]), gpu.zeros(&[len]));
    if b.enabled("relu") {
        let mut p = Program::new();
        p.push(relu(gpu, &x, &y));
        b.report("relu", &shape, &p, 0.0, 8.0 * len as f64);
    }
    if b.enabled("relu_backward") {
        let mut p = Program::new();
        p.push(relu_backward(gpu, &x, &y, &dx));
        b.report("relu_backward", &shape, &p, 0.0, 16.0 * len as f64);
    }
}
