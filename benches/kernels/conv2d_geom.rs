//! Conv2d of general geometry (`kernels::conv2d::geometry`), packing included, in three
//! groups as `conv2d`: `conv2d_geom` (forward: pack x + pack w + strided gather),
//! `conv2d_geom_backward_input` (pack dy + pack w + transposed gather),
//! `conv2d_geom_backward_weight` (pack x + pack dy + the weight passes
//! `conv2d_geom_backward_weight` and `conv2d_geom_backward_weight_reduce` + the bias pass
//! `conv2d_geom_bias_backward`).
//! The k3 s1 p1 row runs the dedicated k = 3 kernels (the API routes it there) and the
//! k3 s1 p0 row, on a 2-pixel larger input for the same output and work, runs the gather:
//! the pair compares the two kernels in the same run.
//! `BENCH_NO_PACK=1` leaves the packing passes out, as in `conv2d` (the rows then time the
//! gather alone, or for the weight gradient its passes without packing).

use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::conv2d::{Conv2dGeom, GatherPlan, GeneralConv};

/// (cin, cout, h=w, k, stride, pad)
const CASES: &[(usize, usize, usize, usize, usize, usize)] = &[
    (64, 64, 48, 4, 2, 1),
    (64, 64, 28, 4, 2, 1),
    (64, 64, 48, 3, 1, 1),
    (64, 64, 50, 3, 1, 0),
    (64, 64, 24, 5, 1, 2),
];

pub fn bench(b: &Bencher) {
    let n = b.batch();
    for &(cin, cout, hw, k, stride, pad) in CASES {
        let s = Conv2dGeom::new([n, cin, cout, hw, hw, k], stride, pad);
        let (oh, ow) = (s.out_h(), s.out_w());
        let case = format!("{n}x{cin}x{hw}x{hw} -> {cout}x{oh}x{ow} k{k} s{stride} p{pad}");
        bench_groups(b, &s, &case, s.flops());
    }
}

/// The three groups of a general-geometry conv `s`, named as its dispatches (forward,
/// backward-input, backward-weight; those enabled), on zero tensors; `flops` per pass.
pub fn bench_groups<S: GeneralConv>(b: &Bencher, s: &S, case: &str, flops: f64) {
    let l = S::OP;
    let groups = [l.forward, l.backward_input, l.backward_weight];
    if !groups.iter().any(|g| b.enabled(g)) {
        return;
    }
    let gpu = &b.gpu;
    let x = gpu.zeros(&[s.x_len()]);
    let y = gpu.zeros(&[s.y_len()]);
    let w = gpu.zeros(&[s.w_len()]);
    // dims: [n, cin, cout, ..]
    let bias = gpu.zeros(&[s.dims()[2]]);
    let no_pack = std::env::var("BENCH_NO_PACK").is_ok_and(|v| v == "1");
    let case = if no_pack {
        format!("{case} (no packing)")
    } else {
        case.to_string()
    };
    for (i, group) in groups.into_iter().enumerate() {
        if !b.enabled(group) {
            continue;
        }
        let cmds = match i {
            0 => GatherPlan::new(gpu, s, false).forward(gpu, &x, &w, Some(&bias), &y),
            1 => s.backward_input(gpu, &w, &y, &x),
            _ => s.backward_weight(gpu, &x, &y, &w, Some(&bias)),
        };
        let mut p = Program::new();
        p.extend(
            cmds.into_iter()
                .filter(|d| !(no_pack && d.label.starts_with("conv2d_pack"))),
        );
        b.report(group, &case, &p, flops, 0.0);
    }
}
