//! The input gradient summed over each image's pixels, without the gradient itself
//! (`shaders/conv2d_input_sum.wgsl`, `shaders/conv2d_input_sum_dot.wgsl`): what a value broadcast-added to the input over its
//! pixels needs when the input itself needs no gradient.

use super::checks::Given;
use super::Conv2dShape;
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

crate::uniform! {
    struct SumParams for conv2d_input_sum, conv2d_input_sum_dot {
        rows: u32,
        total: u32,
        cin: u32,
        cout: u32,
        h: u32,
        w: u32,
        k: u32,
    }
}

crate::bindings! {
    for conv2d_input_sum { dy: read, t: read_write }
    for conv2d_input_sum_dot { t: read, weight: read, dv: read_write }
}

/// dv[n, ci] += sum over (h, w) of dx[n, ci, h, w], where dx = conv_transpose(dy, w) is the
/// input gradient `conv2d_backward_input` would add; dv is [n, cin]. Deterministic (fixed-order
/// sums). Two passes: the per-tap sums of dy over the pixels each tap reaches, then their dot
/// product with the weights.
pub fn conv2d_backward_input_sum(
    gpu: &Gpu,
    s: &Conv2dShape,
    w: &GpuTensor,
    dy: &GpuTensor,
    dv: &GpuTensor,
) -> Vec<Dispatch> {
    let what = "conv2d_backward_input_sum";
    s.check(what);
    let given = Given {
        w: Some(w),
        dy: Some(dy),
        ..Given::default()
    };
    s.lens().check(what, s, given);
    crate::gpu::shape::expect_len(what, "dv", dv, s.n * s.cin, "[n, cin]");
    assert!(
        s.lens().y < u32::MAX as usize,
        "{what}: {s:?} is too large for u32 indexing"
    );
    let rows = s.n * s.cout;
    let kk = s.k * s.k;
    let p = SumParams {
        rows: rows as u32,
        total: (s.n * s.cin) as u32,
        cin: s.cin as u32,
        cout: s.cout as u32,
        h: s.h as u32,
        w: s.w as u32,
        k: s.k as u32,
    };
    let t = gpu.zeros(&[rows * kk]);
    let label = "conv2d_input_sum";
    let dot = id::conv2d_input_sum_dot;
    vec![
        gpu.dispatch(
            label,
            id::conv2d_input_sum,
            "main",
            &p,
            &[dy, &t],
            grid_1d(rows),
        ),
        gpu.dispatch(label, dot, "main", &p, &[&t, w, dv], grid_1d(s.n * s.cin)),
    ]
}

/// CPU reference of [`conv2d_backward_input_sum`]: the plain dv (f64 accumulation over every
/// product of the input gradient).
pub fn conv2d_backward_input_sum_cpu(s: &Conv2dShape, w: &[f32], dy: &[f32]) -> Vec<f32> {
    let (h, wd, k, pad) = (s.h as isize, s.w as isize, s.k, (s.k / 2) as isize);
    let mut dv = vec![0f64; s.n * s.cin];
    for n in 0..s.n {
        for co in 0..s.cout {
            for oy in 0..h {
                for ox in 0..wd {
                    let g = dy[((n * s.cout + co) * s.h + oy as usize) * s.w + ox as usize] as f64;
                    for ky in 0..k {
                        for kx in 0..k {
                            let (iy, ix) = (oy + ky as isize - pad, ox + kx as isize - pad);
                            if iy < 0 || iy >= h || ix < 0 || ix >= wd {
                                continue;
                            }
                            for ci in 0..s.cin {
                                let wi = ((co * s.cin + ci) * k + ky) * k + kx;
                                dv[n * s.cin + ci] += w[wi] as f64 * g;
                            }
                        }
                    }
                }
            }
        }
    }
    dv.into_iter().map(|v| v as f32).collect()
}
