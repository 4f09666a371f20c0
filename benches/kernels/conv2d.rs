//! Every group includes its packing passes: `conv2d` times conv2d_pack_input +
//! conv2d_pack_weight + conv2d; `conv2d_backward_input` packs dy and the transposed weights;
//! the `conv2d_backward_weight` group times conv2d_pack_input (x, dy) +
//! conv2d_backward_weight + conv2d_backward_weight_reduce. The conv kernel is composed with
//! the subgroup or the plain branch of shaders/spread.wgsl, whichever the adapter gets
//! (`WGPU_DDPM_SPREAD` forces one).
use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::conv2d::{
    conv2d, conv2d_backward_input, conv2d_backward_weight, Conv2dShape,
};

/// (cin, cout, h=w, k) of every conv in the seed U-Net.
const SEED: &[(usize, usize, usize, usize)] = &[
    (1, 64, 28, 3),
    (64, 64, 28, 3),
    (64, 128, 14, 3),
    (128, 128, 14, 3),
    (128, 256, 7, 3),
    (256, 256, 7, 3),
    (384, 128, 14, 3),
    (192, 64, 28, 3),
    (64, 1, 28, 1),
];

pub fn bench(b: &Bencher) {
    let gpu = &b.gpu;
    let n = b.batch();
    let groups = ["conv2d", "conv2d_backward_input", "conv2d_backward_weight"];
    if !groups.iter().any(|g| b.enabled(g)) {
        return;
    }
    for &(cin, cout, hw, k) in SEED {
        let s = Conv2dShape {
            n,
            cin,
            cout,
            h: hw,
            w: hw,
            k,
        };
        let case = format!("{n}x{cin}x{hw}x{hw} -> {cout} k{k}");
        let x = gpu.zeros(&[n, cin, hw, hw]);
        let y = gpu.zeros(&[n, cout, hw, hw]);
        let w = gpu.zeros(&[cout, cin, k, k]);
        let bias = gpu.zeros(&[cout]);
        if b.enabled("conv2d") {
            let mut p = Program::new();
            p.extend(conv2d(gpu, &s, &x, &w, &bias, &y));
            b.report("conv2d", &case, &p, s.flops(), 0.0);
        }
        if b.enabled("conv2d_backward_input") {
            let mut p = Program::new();
            p.extend(conv2d_backward_input(gpu, &s, &w, &y, &x));
            b.report("conv2d_backward_input", &case, &p, s.flops(), 0.0);
        }
        if b.enabled("conv2d_backward_weight") {
            let mut p = Program::new();
            p.extend(conv2d_backward_weight(gpu, &s, &x, &y, &w, &bias));
            b.report("conv2d_backward_weight", &case, &p, s.flops(), 0.0);
        }
    }
}
