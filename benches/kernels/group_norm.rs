//! The `group_norm` group times group_norm_stats + group_norm_moments + group_norm;
//! `group_norm_backward` times group_norm_backward_reduce + group_norm_backward_sums +
//! group_norm_backward.
use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::kernels::group_norm::{group_norm, group_norm_backward, GnShape};

use crate::norm_support::{bench_norm, NormCase};

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
        let k = NormCase {
            case: &format!("{n}x{c}x{side}x{side} G=1"),
            values: s.len(),
            channels: c,
            rows: s.rows(),
            // Forward: the stats pass reads x, the apply pass reads x and writes y. Backward:
            // the reduce pass reads x, dy; the dx pass reads x, dy and reads + writes dx.
            bytes: [12.0, 24.0],
        };
        bench_norm(
            b,
            "group_norm",
            &k,
            |t| group_norm(gpu, &s, &t.x, &t.gamma, &t.beta, &t.y, &t.mean, &t.rstd),
            |t| {
                let (x, dy, dx) = (&t.x, &t.dy, Some(&t.dx));
                group_norm_backward(
                    gpu, &s, x, &t.gamma, &t.mean, &t.rstd, dy, dx, &t.dgamma, &t.dbeta,
                )
            },
        );
    }
}
