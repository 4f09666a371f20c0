//! The `linear_backward` group times linear_backward_data + linear_backward_weight.
use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::linear::{linear, linear_backward, linear_flops};

/// The seed U-Net's time-embedding MLPs: Linear(D = 100, cin) then Linear(cin, cin) for
/// cin = 64 (down2), 128 (bot1), 384 (up2), 192 (up1).
const SHAPES: &[(usize, usize)] = &[
    (100, 64),
    (64, 64),
    (100, 128),
    (128, 128),
    (100, 192),
    (192, 192),
    (100, 384),
    (384, 384),
];

pub fn bench(b: &Bencher) {
    let gpu = &b.gpu;
    let m = b.batch();
    for &(k, n) in SHAPES {
        let case = format!("{m}x{k}->{n}");
        let (x, w, bias, y) = (
            gpu.zeros(&[m, k]),
            gpu.zeros(&[n, k]),
            gpu.zeros(&[n]),
            gpu.zeros(&[m, n]),
        );
        if b.enabled("linear") {
            let mut p = Program::new();
            p.push(linear(gpu, &x, &w, &bias, &y));
            b.report(
                "linear",
                &case,
                &p,
                linear_flops(m, k, n),
                4.0 * (m * k + n * k + n + m * n) as f64,
            );
        }
        if b.enabled("linear_backward") {
            let (dx, dw, db) = (gpu.zeros(&[m, k]), gpu.zeros(&[n, k]), gpu.zeros(&[n]));
            let mut p = Program::new();
            p.extend(linear_backward(gpu, &x, &w, &y, &dx, &dw, &db));
            b.report(
                "linear_backward",
                &case,
                &p,
                2.0 * linear_flops(m, k, n),
                4.0 * (3 * m * k + 3 * n * k + 2 * n + m * n) as f64,
            );
        }
    }
}
