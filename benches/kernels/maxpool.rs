use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::maxpool::{maxpool, maxpool_backward};

/// The seed U-Net's pooled shapes: 64 channels at 28x28 and 128 at 14x14 (256 at 7x7 is never
/// pooled, and 7 is odd).
pub fn bench(b: &Bencher) {
    let gpu = &b.gpu;
    let n = b.batch();
    for (c, hw) in [(64usize, 28usize), (128, 14)] {
        let len = n * c * hw * hw;
        let case = format!("{n}x{c}x{hw}x{hw}");
        let (x, dx) = (gpu.zeros(&[n, c, hw, hw]), gpu.zeros(&[n, c, hw, hw]));
        let y = gpu.zeros(&[n, c, hw / 2, hw / 2]);
        if b.enabled("maxpool") {
            let mut p = Program::new();
            p.push(maxpool(gpu, &x, &y));
            b.report("maxpool", &case, &p, 0.0, 4.0 * (len + len / 4) as f64);
        }
        if b.enabled("maxpool_backward") {
            // Reads x and dy, reads + writes one dx element per window.
            let mut p = Program::new();
            p.push(maxpool_backward(gpu, &x, &y, &dx));
            b.report(
                "maxpool_backward",
                &case,
                &p,
                0.0,
                4.0 * (len + 3 * len / 4) as f64,
            );
        }
    }
}
