//! Conv2d of general geometry (`kernels::conv2d::geometry`), packing included, in three
//! groups as `conv2d`: `conv2d_geom` (forward: pack x + pack w + strided gather),
//! `conv2d_geom_backward_input` (pack dy + pack w + transposed gather),
//! `conv2d_geom_backward_weight` (pack x + pack dy + the weight passes
//! `conv2d_geom_backward_weight` and `conv2d_geom_backward_weight_reduce` + the bias pass
//! `conv2d_geom_bias_backward`).
//! The k3 s1 p1 row runs the dedicated k = 3 kernels (the API routes it there) and the
//! k3 s1 p0 row, on a 2-pixel larger input for the same output and work, runs the gather:
//! the pair compares the two kernels in the same run.

use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::conv2d::{
    conv2d_geom, conv2d_geom_backward_input, conv2d_geom_backward_weight, Conv2dGeom,
};

/// (cin, cout, h=w, k, stride, pad)
const CASES: &[(usize, usize, usize, usize, usize, usize)] = &[
    (64, 64, 48, 4, 2, 1),
    (64, 64, 28, 4, 2, 1),
    (64, 64, 48, 3, 1, 1),
    (64, 64, 50, 3, 1, 0),
    (64, 64, 24, 5, 1, 2),
];

pub fn bench(b: &Bencher) {
    let gpu = &b.gpu;
    let n = b.batch();
    let groups = [
        "conv2d_geom",
        "conv2d_geom_backward_input",
        "conv2d_geom_backward_weight",
    ];
    if !groups.iter().any(|g| b.enabled(g)) {
        return;
    }
    for &(cin, cout, hw, k, stride, pad) in CASES {
        let s = Conv2dGeom {
            n,
            cin,
            cout,
            h: hw,
            w: hw,
            k,
            stride,
            pad,
        };
        let (oh, ow) = (s.out_h(), s.out_w());
        let case = format!("{n}x{cin}x{hw}x{hw} -> {cout}x{oh}x{ow} k{k} s{stride} p{pad}");
        let x = gpu.zeros(&[n, cin, hw, hw]);
        let y = gpu.zeros(&[n, cout, oh, ow]);
        let w = gpu.zeros(&[cout, cin, k, k]);
        let bias = gpu.zeros(&[cout]);
        if b.enabled(groups[0]) {
            let mut p = Program::new();
            p.extend(conv2d_geom(gpu, &s, &x, &w, Some(&bias), &y));
            b.report(groups[0], &case, &p, s.flops(), 0.0);
        }
        if b.enabled(groups[1]) {
            let mut p = Program::new();
            p.extend(conv2d_geom_backward_input(gpu, &s, &w, &y, &x));
            b.report(groups[1], &case, &p, s.flops(), 0.0);
        }
        if b.enabled(groups[2]) {
            let mut p = Program::new();
            p.extend(conv2d_geom_backward_weight(
                gpu,
                &s,
                &x,
                &y,
                &w,
                Some(&bias),
            ));
            b.report(groups[2], &case, &p, s.flops(), 0.0);
        }
    }
}
