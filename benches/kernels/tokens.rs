//! The `tokens` group: images to attention tokens and back (`shaders/tokens.wgsl`), forward
//! and backward (the backward transposes accumulate, so they read the gradient too).
use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::tokens::{tokens, tokens_backward, untokens, untokens_backward};

/// The seed-003 network's self-attention inputs: (channels, side) at 8, 16 and 32 pixels.
const SHAPES: &[(usize, usize)] = &[(256, 8), (128, 16), (64, 32)];

pub fn bench(b: &Bencher) {
    if !b.enabled("tokens") {
        return;
    }
    let gpu = &b.gpu;
    let n = b.batch();
    for &(c, side) in SHAPES {
        let hw = side * side;
        let len = n * c * hw;
        let case = format!("{n}x{c}x{side}x{side}");
        let (x, y) = (gpu.zeros(&[len]), gpu.zeros(&[len]));
        let plain = 4.0 * 2.0 * len as f64;
        let acc = 4.0 * 3.0 * len as f64;
        let rows: [(&str, _, f64); 4] = [
            ("tokens", tokens(gpu, n, c, hw, &x, &y), plain),
            (
                "tokens_backward",
                tokens_backward(gpu, n, c, hw, &y, &x),
                acc,
            ),
            ("untokens", untokens(gpu, n, c, hw, &y, &x), plain),
            (
                "untokens_backward",
                untokens_backward(gpu, n, c, hw, &x, &y),
                acc,
            ),
        ];
        for (group, d, bytes) in rows {
            let mut p = Program::new();
            p.push(d);
            b.report(group, &case, &p, 0.0, bytes);
        }
    }
}
