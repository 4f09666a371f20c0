use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::concat::{concat, concat_backward};

/// The seed's skip concats: up1 (128 upsampled + 64 skip at 28x28), up2 (256 + 128 at 14x14).
const SHAPES: &[(usize, usize, usize)] = &[(128, 64, 28 * 28), (256, 128, 14 * 14)];

pub fn bench(b: &Bencher) {
    let gpu = &b.gpu;
    let n = b.batch();
    for &(c1, c2, hw) in SHAPES {
        let case = format!("{n}x({c1}+{c2})x{hw}");
        let (a, bb, y) = (
            gpu.zeros(&[n, c1, hw]),
            gpu.zeros(&[n, c2, hw]),
            gpu.zeros(&[n, c1 + c2, hw]),
        );
        let len = (n * (c1 + c2) * hw) as f64;
        if b.enabled("concat") {
            let mut p = Program::new();
            p.push(concat(gpu, &a, &bb, &y));
            b.report("concat", &case, &p, 0.0, 8.0 * len);
        }
        if b.enabled("concat_backward") {
            let mut p = Program::new();
            p.push(concat_backward(gpu, &y, &a, &bb));
            b.report("concat_backward", &case, &p, 0.0, 12.0 * len);
        }
    }
}
