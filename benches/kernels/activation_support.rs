//! The forward and backward rows of an elementwise activation (relu, gelu, silu): one read
//! and one write per element forward; x and dy read, dx read and written backward.

use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::{Dispatch, Gpu, GpuTensor, Program};

pub type Forward = fn(&Gpu, &GpuTensor, &GpuTensor) -> Dispatch;
pub type Backward = fn(&Gpu, &GpuTensor, &GpuTensor, &GpuTensor) -> Dispatch;

/// Groups `name` and `{name}_backward` on an [n, c, hw, hw] tensor, n the bench batch.
pub fn bench(
    b: &Bencher,
    name: &str,
    (forward, backward): (Forward, Backward),
    c: usize,
    hw: usize,
) {
    let gpu = &b.gpu;
    let n = b.batch();
    let len = n * c * hw * hw;
    let shape = format!("{n}x{c}x{hw}x{hw}");
    let (x, y, dx) = (gpu.zeros(&[len]), gpu.zeros(&[len]), gpu.zeros(&[len]));
    if b.enabled(name) {
        let mut p = Program::new();
        p.push(forward(gpu, &x, &y));
        b.report(name, &shape, &p, 0.0, 8.0 * len as f64);
    }
    let name = format!("{name}_backward");
    if b.enabled(&name) {
        let mut p = Program::new();
        p.push(backward(gpu, &x, &y, &dx));
        b.report(&name, &shape, &p, 0.0, 16.0 * len as f64);
    }
}
