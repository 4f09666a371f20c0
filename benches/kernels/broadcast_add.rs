//! The `broadcast_add` and `broadcast_add_backward` groups at the seed U-Net's shapes;
//! `BENCH_BATCH` overrides the batch (default 8 on a CPU adapter).
use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::broadcast_add::{
    broadcast_add, broadcast_add_backward, broadcast_add_backward_split,
};

/// Where the seed adds MLP(time embedding) to a block input: down2 (64 at 14x14), bot1
/// (128 at 7x7), up2 (384 at 14x14), up1 (192 at 28x28).
const SHAPES: &[(usize, usize)] = &[(64, 14 * 14), (128, 7 * 7), (384, 14 * 14), (192, 28 * 28)];

pub fn bench(b: &Bencher) {
    let gpu = &b.gpu;
    let n = b.batch_or_env();
    for &(c, hw) in SHAPES {
        let case = format!("{n}x{c}x{hw}");
        let (x, v, y) = (
            gpu.zeros(&[n, c, hw]),
            gpu.zeros(&[n, c]),
            gpu.zeros(&[n, c, hw]),
        );
        let len = (n * c * hw) as f64;
        if b.enabled("broadcast_add") {
            let mut p = Program::new();
            p.push(broadcast_add(gpu, n, c, hw, &x, &v, &y));
            b.report("broadcast_add", &case, &p, 0.0, 8.0 * len);
        }
        if b.enabled("broadcast_add_backward") {
            let mut p = Program::new();
            p.extend(broadcast_add_backward(gpu, n, c, hw, &y, &x, &v));
            b.report("broadcast_add_backward", &case, &p, 0.0, 12.0 * len);
        }
        if b.enabled("broadcast_add_backward") && c > 128 {
            // The up blocks' input: cat(upsampled, skip) with the skip's c/3 channels.
            let ca = c - c / 3;
            let (da, db) = (gpu.zeros(&[n, ca, hw]), gpu.zeros(&[n, c - ca, hw]));
            let mut p = Program::new();
            p.extend(broadcast_add_backward_split(
                gpu, n, c, ca, hw, &y, &da, &db, &v,
            ));
            b.report(
                "broadcast_add_backward",
                &format!("{case} split"),
                &p,
                0.0,
                12.0 * len,
            );
        }
    }
}
