//! 2x2 max pooling, stride 2: `shaders/maxpool.wgsl`, `shaders/maxpool_backward.wgsl`.
//! Ties go to the first element of the window in row-major order, as PyTorch.

use bytemuck::{Pod, Zeroable};

use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    h: u32,
    w: u32,
    total: u32,
    _pad: u32,
}

#[track_caller]
fn check(
    what: &str,
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    big: &GpuTensor,
    small: &GpuTensor,
) -> Params {
    assert!(
        h.is_multiple_of(2) && w.is_multiple_of(2) && h > 0 && w > 0,
        "{what}: H and W must be even and non-zero, got {h}x{w}"
    );
    let len = n * c * h * w;
    assert!(len <= u32::MAX as usize, "{what}: more than 2^32 elements");
    assert_eq!(
        big.len(),
        len,
        "{what}: input has {} elements, [{n},{c},{h},{w}] needs {len}",
        big.len()
    );
    assert_eq!(
        small.len(),
        len / 4,
        "{what}: pooled tensor has {} elements, want {}",
        small.len(),
        len / 4
    );
    Params {
        h: h as u32,
        w: w as u32,
        total: (len / 4) as u32,
        _pad: 0,
    }
}

/// y[n,c,h/2,w/2] = 2x2 max of x[n,c,h,w] (h, w even).
#[allow(clippy::too_many_arguments)]
pub fn maxpool(
    gpu: &Gpu,
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    x: &GpuTensor,
    y: &GpuTensor,
) -> Dispatch {
    let p = check("maxpool", n, c, h, w, x, y);
    gpu.dispatch(
        "maxpool",
        id::maxpool,
        "main",
        &p,
        &[x, y],
        grid_1d(p.total as usize),
    )
}

/// dx += dy at each window's argmax (recomputed from x; first on ties).
#[allow(clippy::too_many_arguments)]
pub fn maxpool_backward(
    gpu: &Gpu,
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    x: &GpuTensor,
    dy: &GpuTensor,
    dx: &GpuTensor,
) -> Dispatch {
    let p = check("maxpool_backward", n, c, h, w, x, dy);
    assert_eq!(
        dx.len(),
        x.len(),
        "maxpool_backward: dx and x differ in size"
    );
    gpu.dispatch(
        "maxpool_backward",
        id::maxpool_backward,
        "main",
        &p,
        &[x, dy, dx],
        grid_1d(p.total as usize),
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
