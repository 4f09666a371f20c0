//! 2x2 max pooling, stride 2: `shaders/maxpool.wgsl`, `shaders/maxpool_backward.wgsl`.
//! Ties go to the first element of the window in row-major order, as PyTorch.

use super::pool_params::PoolParams;
use crate::gpu::shape::{dims, expect_shape};
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

crate::bindings! {
    for maxpool { x: read, y: read_write }
    for maxpool_backward { x: read, dy: read, dx: read_write }
}

/// The Params for input `x` [n, c, h, w] (h, w even) and its pooled shape [n, c, h/2, w/2].
#[track_caller]
fn pooled(op: &str, x: &GpuTensor) -> (PoolParams, [usize; 4]) {
    let [n, c, h, w] = dims(op, "x", x, "[n, c, h, w]");
    assert!(
        h.is_multiple_of(2) && w.is_multiple_of(2) && h > 0 && w > 0,
        "{op}: H and W must be even and non-zero, got {h}x{w}"
    );
    let small = [n, c, h / 2, w / 2];
    (PoolParams::new(op, h, w, x.len() / 4), small)
}

/// y[n, c, h/2, w/2] = 2x2 max of x[n, c, h, w] (h, w even).
#[track_caller]
pub fn maxpool(gpu: &Gpu, x: &GpuTensor, y: &GpuTensor) -> Dispatch {
    let (p, small) = pooled("maxpool", x);
    expect_shape("maxpool", "y", y, &small);
    gpu.dispatch(
        "maxpool",
        id::maxpool,
        "main",
        &p,
        &[x, y],
        grid_1d(p.total()),
    )
}

/// dx[n, c, h, w] += dy[n, c, h/2, w/2] at each window's argmax (recomputed from x; first on
/// ties).
#[track_caller]
pub fn maxpool_backward(gpu: &Gpu, x: &GpuTensor, dy: &GpuTensor, dx: &GpuTensor) -> Dispatch {
    let op = "maxpool_backward";
    let (p, small) = pooled(op, x);
    expect_shape(op, "dy", dy, &small);
    expect_shape(op, "dx", dx, &x.shape);
    gpu.dispatch(
        op,
        id::maxpool_backward,
        "main",
        &p,
        &[x, dy, dx],
        grid_1d(p.total()),
    )
}

/// Flat index of each window's maximum (first on ties), one per output.
fn argmax<T: PartialOrd + Copy>(n: usize, c: usize, h: usize, w: usize, x: &[T]) -> Vec<usize> {
    assert!(
        h.is_multiple_of(2) && w.is_multiple_of(2),
        "maxpool_cpu: H and W must be even"
    );
    assert_eq!(
        x.len(),
        n * c * h * w,
        "maxpool_cpu: x does not match [{n},{c},{h},{w}]"
    );
    let (ho, wo) = (h / 2, w / 2);
    let mut out = Vec::with_capacity(n * c * ho * wo);
    for plane in 0..n * c {
        for oy in 0..ho {
            for ox in 0..wo {
                let base = plane * h * w + 2 * oy * w + 2 * ox;
                let mut best = base;
                for cand in [base + 1, base + w, base + w + 1] {
                    if x[cand] > x[best] {
                        best = cand;
                    }
                }
                out.push(best);
            }
        }
    }
    out
}

pub fn maxpool_cpu(n: usize, c: usize, h: usize, w: usize, x: &[f32]) -> Vec<f32> {
    argmax(n, c, h, w, x).into_iter().map(|i| x[i]).collect()
}

/// f64 forward (reference for finite differences).
pub fn maxpool_f64(n: usize, c: usize, h: usize, w: usize, x: &[f64]) -> Vec<f64> {
    argmax(n, c, h, w, x).into_iter().map(|i| x[i]).collect()
}

/// The plain gradient (the GPU kernel adds it into dx).
pub fn maxpool_backward_cpu(
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    x: &[f32],
    dy: &[f32],
) -> Vec<f32> {
    let mut dx = vec![0.0; x.len()];
    for (o, i) in argmax(n, c, h, w, x).into_iter().enumerate() {
        dx[i] += dy[o];
    }
    dx
}
