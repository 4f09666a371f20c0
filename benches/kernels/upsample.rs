use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::upsample::{upsample_backward_with, upsample_with};

/// Input shapes at the seed U-Net's sizes: 64 channels at 28x28, 128 at 14x14, 256 at 7x7
/// (the network upsamples the last two); `_aligned` rows: align_corners = true (seed 003).
pub fn bench(b: &Bencher) {
    let gpu = &b.gpu;
    let n = b.batch();
    for (c, hw) in [(64usize, 28usize), (128, 14), (256, 7)] {
        let len = n * c * hw * hw;
        let case = format!("{n}x{c}x{hw}x{hw}");
        let (x, dx) = (gpu.zeros(&[n, c, hw, hw]), gpu.zeros(&[n, c, hw, hw]));
        let y = gpu.zeros(&[n, c, 2 * hw, 2 * hw]);
        for (align, suffix) in [(false, ""), (true, "_aligned")] {
            if b.enabled("upsample") {
                let mut p = Program::new();
                p.push(upsample_with(gpu, &x, &y, align));
                let name = format!("upsample{suffix}");
                b.report(&name, &case, &p, 0.0, 4.0 * 5.0 * len as f64);
            }
            if b.enabled("upsample_backward") {
                // Reads dy (4x), reads + writes dx.
                let mut p = Program::new();
                p.push(upsample_backward_with(gpu, &y, &dx, align));
                let name = format!("upsample_backward{suffix}");
                b.report(&name, &case, &p, 0.0, 4.0 * 6.0 * len as f64);
            }
        }
    }
}
