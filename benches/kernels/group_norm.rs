//! The `group_norm` group times group_norm_stats + group_norm_moments + group_norm;
//! `group_norm_backward` times group_norm_backward_reduce + group_norm_backward_sums +
//! group_norm_backward.
use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::group_norm::{group_norm, group_norm_backward, GnShape};

/// GroupNorm(1, c) as in the seed-003 network's DoubleConv blocks: 64 channels at 64x64
/// (inc) and 32x32, 128 at 32x32 (down1), 256 at 16x16 (down2) and 8x8 (down3).
pub fn bench(b: &Bencher) {
    let gpu = &b.gpu;
    let n = b.batch();
    for (c, side) in [(64usize, 64usize), (64, 32), (128, 32), (256, 16), (256, 8)] {
        let s = GnShape {
            n,
            c,
            hw: side * side,
            groups: 1,
        };
        let len = s.len();
        let case = format!("{n}x{c}x{side}x{side} G=1");
        let big = || gpu.zeros(&[len]);
        let ch = || gpu.zeros(&[c]);
        let row = || gpu.zeros(&[s.rows()]);
        let (x, y, dy, dx) = (big(), big(), big(), big());
        let (gamma, beta, dg, db) = (ch(), ch(), ch(), ch());
        let (mean, rstd) = (row(), row());
        gpu.write(&gamma, &vec![1.0; c]);
        if b.enabled("group_norm") {
            // Stats pass reads x, apply pass reads x and writes y.
            let mut p = Program::new();
            p.extend(group_norm(gpu, &s, &x, &gamma, &beta, &y, &mean, &rstd));
            b.report("group_norm", &case, &p, 0.0, 12.0 * len as f64);
        }
        if b.enabled("group_norm_backward") {
            // Reduce pass reads x, dy; dx pass reads x, dy and reads + writes dx.
            let mut p = Program::new();
            p.extend(group_norm_backward(
                gpu,
                &s,
                &x,
                &gamma,
                &mean,
                &rstd,
                &dy,
                Some(&dx),
                &dg,
                &db,
            ));
            b.report("group_norm_backward", &case, &p, 0.0, 24.0 * len as f64);
        }
    }
}
