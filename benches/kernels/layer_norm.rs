//! The `layer_norm` group times the one-dispatch forward; `layer_norm_backward` times
//! layer_norm_backward (dx) + layer_norm_backward_params + layer_norm_backward_params_sum.
use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::kernels::layer_norm::{layer_norm, layer_norm_backward, LnShape};

use crate::norm_support::{bench_norm, NormCase};

/// LayerNorm([c]) over the tokens of the seed-003 network's self-attention blocks: 128
/// channels at 32x32 and 16x16, 256 at 16x16 and 8x8, 64 at 32x32 and 64x64.
pub fn bench(b: &Bencher) {
    let gpu = &b.gpu;
    let n = b.batch();
    for (c, side) in [
        (128usize, 32usize),
        (128, 16),
        (256, 16),
        (256, 8),
        (64, 32),
        (64, 64),
    ] {
        let s = LnShape {
            rows: n * side * side,
            c,
        };
        let k = NormCase {
            case: &format!("[{n}*{side}*{side}, {c}]"),
            values: s.len(),
            channels: c,
            rows: s.rows,
            // Forward: reads x twice (statistics, then the output) and writes y. Backward: the
            // dx pass reads x, dy twice and reads + writes dx; the params pass reads x, dy.
            bytes: [12.0, 32.0],
        };
        bench_norm(
            b,
            "layer_norm",
            &k,
            |t| {
                vec![layer_norm(
                    gpu, &s, &t.x, &t.gamma, &t.beta, &t.y, &t.mean, &t.rstd,
                )]
            },
            |t| {
                let grads = [&t.dx, &t.dgamma, &t.dbeta];
                layer_norm_backward(gpu, &s, &t.x, &t.gamma, &t.mean, &t.rstd, &t.dy, grads)
            },
        );
    }
}
