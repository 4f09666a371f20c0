//! ConvTranspose2d (`kernels::conv2d::transpose`), packing included, in three groups:
//! `conv_transpose2d` (pack x, pack w, the transposed gather: one dispatch per group of
//! output phases), `conv_transpose2d_backward_input` (pack dy, pack w, the strided gather),
//! `conv_transpose2d_backward_weight` (pack x, pack dy, the weight passes, the bias pass).
//! GFLOP/s count the useful multiply-adds only; the gather visits no inserted zeros.
//! `BENCH_NO_PACK=1` leaves the packing passes out (see `conv2d_geom`).
use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::kernels::conv2d::{ConvTranspose2dShape, GeneralConv};

use crate::conv2d_geom::bench_groups;

/// (cin, cout, h=w, k, stride, pad, output_pad): each doubles the size.
const CASES: &[(usize, usize, usize, usize, usize, usize, usize)] = &[
    (64, 64, 24, 4, 2, 1, 0),
    (64, 64, 14, 4, 2, 1, 0),
    (64, 64, 24, 3, 2, 1, 1),
];

pub fn bench(b: &Bencher) {
    let n = b.batch();
    for &(cin, cout, hw, k, stride, pad, output_pad) in CASES {
        let s = ConvTranspose2dShape::new([n, cin, cout, hw, hw, k], stride, pad, output_pad);
        let (oh, ow) = (s.out_h(), s.out_w());
        let case =
            format!("{n}x{cin}x{hw}x{hw} -> {cout}x{oh}x{ow} k{k} s{stride} p{pad} op{output_pad}");
        bench_groups(b, &s, &case, s.flops());
    }
}
