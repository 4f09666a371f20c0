//! The `layer_norm` group times the one-dispatch forward; `layer_norm_backward` times
//! layer_norm_backward (dx) + layer_norm_backward_params + layer_norm_backward_params_sum.
use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::layer_norm::{layer_norm, layer_norm_backward, LnShape};

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
        let len = s.len();
        let case = format!("[{n}*{side}*{side}, {c}]");
        let big = || gpu.zeros(&[len]);
        let (x, y, dy, dx) = (big(), big(), big(), big());
        let (gamma, beta, dg, db) = (
            gpu.zeros(&[c]),
            gpu.zeros(&[c]),
            gpu.zeros(&[c]),
            gpu.zeros(&[c]),
        );
        let (mean, rstd) = (gpu.zeros(&[s.rows]), gpu.zeros(&[s.rows]));
        gpu.write(&gamma, &vec![1.0; c]);
        if b.enabled("layer_norm") {
            // Reads x twice (statistics, then the output) and writes y.
            let mut p = Program::new();
            p.push(layer_norm(gpu, &s, &x, &gamma, &beta, &y, &mean, &rstd));
            b.report("layer_norm", &case, &p, 0.0, 12.0 * len as f64);
        }
        if b.enabled("layer_norm_backward") {
            // dx pass reads x, dy twice and reads + writes dx; the params pass reads x, dy.
            let mut p = Program::new();
            p.extend(layer_norm_backward(
                gpu,
                &s,
                &x,
                &gamma,
                &mean,
                &rstd,
                &dy,
                [&dx, &dg, &db],
            ));
            b.report("layer_norm_backward", &case, &p, 0.0, 32.0 * len as f64);
        }
    }
}
