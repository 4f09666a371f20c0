//! Bilinear x2 upsampling: `shaders/upsample.wgsl`, `shaders/upsample_backward.wgsl`.
//!
//! align_corners = false (PyTorch's default, the seed U-Net): for output coordinate o,
//! src = max((o + 0.5) / 2 - 0.5, 0). align_corners = true (the seed-003 network):
//! src = o (in - 1) / (2 in - 1). Then i0 = floor(src), i1 = min(i0 + 1, in - 1),
//! lambda = src - i0; rows and columns blend separably.

use super::pool_params::PoolParams;
use crate::gpu::shape::{dims, expect_shape, expect_u32};
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

crate::bindings! {
    for upsample { x: read, y: read_write }
    for upsample_backward { dy: read, dx: read_write }
}

/// The [n, c, h, w] of `small` (named `name`), checking that `big` is [n, c, 2h, 2w].
#[track_caller]
fn planes(
    op: &str,
    (name, small): (&str, &GpuTensor),
    (big_name, big): (&str, &GpuTensor),
) -> [usize; 4] {
    let [n, c, h, w] = dims(op, name, small, "[n, c, h, w]");
    assert!(h > 0 && w > 0, "{op}: empty spatial size {h}x{w}");
    expect_shape(op, big_name, big, &[n, c, 2 * h, 2 * w]);
    // The kernels index the big tensor.
    expect_u32(op, big.len());
    [n, c, h, w]
}

/// y[n, c, 2h, 2w] = bilinear x2 of x[n, c, h, w], align_corners = false.
#[track_caller]
pub fn upsample(gpu: &Gpu, x: &GpuTensor, y: &GpuTensor) -> Dispatch {
    upsample_with(gpu, x, y, false)
}

/// y[n, c, 2h, 2w] = bilinear x2 of x[n, c, h, w] with PyTorch's `align_corners`.
#[track_caller]
pub fn upsample_with(gpu: &Gpu, x: &GpuTensor, y: &GpuTensor, align_corners: bool) -> Dispatch {
    let [n, c, h, w] = planes("upsample", ("x", x), ("y", y));
    // Unaligned: one thread per 2x2 output block, (h + 1) x (w + 1) blocks per plane (see
    // the shader); aligned: one per output.
    let (total, entry) = if align_corners {
        (y.len(), "aligned")
    } else {
        (n * c * (h + 1) * (w + 1), "main")
    };
    let p = PoolParams::new("upsample", h, w, total);
    gpu.dispatch("upsample", id::upsample, entry, &p, &[x, y], grid_1d(total))
}

/// dx[n, c, h, w] += adjoint of the upsampling applied to dy[n, c, 2h, 2w] (a gather per dx
/// element, no atomics), align_corners = false.
#[track_caller]
pub fn upsample_backward(gpu: &Gpu, dy: &GpuTensor, dx: &GpuTensor) -> Dispatch {
    upsample_backward_with(gpu, dy, dx, false)
}

/// `upsample_backward` with PyTorch's `align_corners`.
#[track_caller]
pub fn upsample_backward_with(
    gpu: &Gpu,
    dy: &GpuTensor,
    dx: &GpuTensor,
    align_corners: bool,
) -> Dispatch {
    let op = "upsample_backward";
    let [_, _, h, w] = planes(op, ("dx", dx), ("dy", dy));
    let p = PoolParams::new(op, h, w, dx.len());
    gpu.dispatch(
        op,
        id::upsample_backward,
        if align_corners { "aligned" } else { "main" },
        &p,
        &[dy, dx],
        grid_1d(dx.len()),
    )
}

/// (i0, i1, lambda) for output coordinate o of an input extent n (PyTorch's formula).
pub fn source_index(o: usize, n: usize, align_corners: bool) -> (usize, usize, f64) {
    let src = if align_corners {
        o as f64 * (n - 1) as f64 / (2 * n - 1) as f64
    } else {
        ((o as f64 + 0.5) * 0.5 - 0.5).max(0.0)
    };
    let i0 = (src.floor() as usize).min(n - 1);
    (i0, (i0 + 1).min(n - 1), src - i0 as f64)
}

/// f64 forward with PyTorch's `align_corners`.
pub fn upsample_with_f64(
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    x: &[f64],
    align: bool,
) -> Vec<f64> {
    assert_eq!(
        x.len(),
        n * c * h * w,
        "upsample_cpu: x does not match [{n},{c},{h},{w}]"
    );
    let (ho, wo) = (2 * h, 2 * w);
    let mut y = Vec::with_capacity(n * c * ho * wo);
    for plane in 0..n * c {
        let xp = &x[plane * h * w..(plane + 1) * h * w];
        for oy in 0..ho {
            let (y0, y1, ly) = source_index(oy, h, align);
            for ox in 0..wo {
                let (x0, x1, lx) = source_index(ox, w, align);
                let top = (1.0 - lx) * xp[y0 * w + x0] + lx * xp[y0 * w + x1];
                let bot = (1.0 - lx) * xp[y1 * w + x0] + lx * xp[y1 * w + x1];
                y.push((1.0 - ly) * top + ly * bot);
            }
        }
    }
    y
}

pub fn upsample_cpu(n: usize, c: usize, h: usize, w: usize, x: &[f32]) -> Vec<f32> {
    upsample_with_cpu(n, c, h, w, x, false)
}

pub fn upsample_with_cpu(
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    x: &[f32],
    align: bool,
) -> Vec<f32> {
    let x: Vec<f64> = x.iter().map(|v| *v as f64).collect();
    upsample_with_f64(n, c, h, w, &x, align)
        .into_iter()
        .map(|v| v as f32)
        .collect()
}

/// The plain gradient (the GPU kernel adds it into dx), computed as a scatter in f64.
pub fn upsample_backward_cpu(n: usize, c: usize, h: usize, w: usize, dy: &[f32]) -> Vec<f32> {
    upsample_backward_with_cpu(n, c, h, w, dy, false)
}

/// `upsample_backward_cpu` with PyTorch's `align_corners`.
pub fn upsample_backward_with_cpu(
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    dy: &[f32],
    align: bool,
) -> Vec<f32> {
    let (ho, wo) = (2 * h, 2 * w);
    assert_eq!(
        dy.len(),
        n * c * ho * wo,
        "upsample_backward_cpu: dy does not match"
    );
    let mut dx = vec![0.0f64; n * c * h * w];
    for plane in 0..n * c {
        let dxp = &mut dx[plane * h * w..(plane + 1) * h * w];
        for oy in 0..ho {
            let (y0, y1, ly) = source_index(oy, h, align);
            for ox in 0..wo {
                let (x0, x1, lx) = source_index(ox, w, align);
                let g = dy[(plane * ho + oy) * wo + ox] as f64;
                dxp[y0 * w + x0] += (1.0 - ly) * (1.0 - lx) * g;
                dxp[y0 * w + x1] += (1.0 - ly) * lx * g;
                dxp[y1 * w + x0] += ly * (1.0 - lx) * g;
                dxp[y1 * w + x1] += ly * lx * g;
            }
        }
    }
    dx.into_iter().map(|v| v as f32).collect()
}
