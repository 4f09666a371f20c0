//! Channel concatenation: `shaders/concat.wgsl`, `shaders/concat_backward.wgsl`.

use bytemuck::{Pod, Zeroable};

use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    total: u32,
    c1: u32,
    c2: u32,
    hw: u32,
}

#[allow(clippy::too_many_arguments)]
fn params(
    op: &str,
    n: usize,
    c1: usize,
    c2: usize,
    hw: usize,
    a: &GpuTensor,
    b: &GpuTensor,
    y: &GpuTensor,
) -> Params {
    assert!(
        hw > 0 && c1 + c2 > 0,
        "{op}: empty shape c1={c1} c2={c2} hw={hw}"
    );
    assert_eq!(
        a.len(),
        n * c1 * hw,
        "{op}: first input must be [n={n}, c1={c1}, hw={hw}], got {:?}",
        a.shape
    );
    assert_eq!(
        b.len(),
        n * c2 * hw,
        "{op}: second input must be [n={n}, c2={c2}, hw={hw}], got {:?}",
        b.shape
    );
    assert_eq!(
        y.len(),
        n * (c1 + c2) * hw,
        "{op}: output must be [n={n}, c1+c2={}, hw={hw}], got {:?}",
        c1 + c2,
        y.shape
    );
    Params {
        total: y.len() as u32,
        c1: c1 as u32,
        c2: c2 as u32,
        hw: hw as u32,
    }
}

/// y = cat([a, b], dim = 1) for a [n, c1, hw], b [n, c2, hw], y [n, c1 + c2, hw] (overwrites y).
#[allow(clippy::too_many_arguments)]
pub fn concat(
    gpu: &Gpu,
    n: usize,
    c1: usize,
    c2: usize,
    hw: usize,
    a: &GpuTensor,
    b: &GpuTensor,
    y: &GpuTensor,
) -> Dispatch {
    let p = params("concat", n, c1, c2, hw, a, b, y);
    gpu.dispatch(
        "concat",
        id::concat,
        "main",
        &p,
        &[a, b, y],
        grid_1d(y.len()),
    )
}

/// da += dy[:, ..c1], db += dy[:, c1..] in one dispatch.
#[allow(clippy::too_many_arguments)]
pub fn concat_backward(
    gpu: &Gpu,
    n: usize,
    c1: usize,
    c2: usize,
    hw: usize,
    dy: &GpuTensor,
    da: &GpuTensor,
    db: &GpuTensor,
) -> Dispatch {
    let p = params("concat_backward", n, c1, c2, hw, da, db, dy);
    gpu.dispatch(
        "concat_backward",
        id::concat_backward,
        "main",
        &p,
        &[dy, da, db],
        grid_1d(dy.len()),
    )
}

pub fn concat_cpu(n: usize, c1: usize, c2: usize, hw: usize, a: &[f32], b: &[f32]) -> Vec<f32> {
    let mut y = Vec::with_capacity(n * (c1 + c2) * hw);
    for i in 0..n {
        y.extend_from_slice(&a[i * c1 * hw..(i + 1) * c1 * hw]);
        y.extend_from_slice(&b[i * c2 * hw..(i + 1) * c2 * hw]);
    }
    y
}

/// Returns the plain gradients (da, db).
pub fn concat_backward_cpu(
    n: usize,
    c1: usize,
    c2: usize,
    hw: usize,
    dy: &[f32],
) -> (Vec<f32>, Vec<f32>) {
    let (mut da, mut db) = (Vec::new(), Vec::new());
    for i in 0..n {
        let row = &dy[i * (c1 + c2) * hw..(i + 1) * (c1 + c2) * hw];
        da.extend_from_slice(&row[..c1 * hw]);
        db.extend_from_slice(&row[c1 * hw..]);
    }
    (da, db)
}
