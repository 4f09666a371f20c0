//! Broadcast add of a per-(image, channel) value over H*W (the time embedding's MLP output
//! added to a feature map): `shaders/broadcast_add.wgsl`, `shaders/broadcast_add_backward.wgsl`.

use bytemuck::{Pod, Zeroable};

use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor, GRID_ROW};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    count: u32,
    hw: u32,
    c: u32,
    ca: u32,
}

fn check(op: &str, n: usize, c: usize, hw: usize, x: &GpuTensor, v: &GpuTensor, y: &GpuTensor) {
    assert!(hw > 0, "{op}: hw must be positive");
    for (name, t) in [("x", x), ("y", y)] {
        assert_eq!(
            t.len(),
            n * c * hw,
            "{op}: {name} must be [n={n}, c={c}, hw={hw}], got {:?}",
            t.shape
        );
    }
    assert_eq!(
        v.len(),
        n * c,
        "{op}: v must be [n={n}, c={c}], got {:?}",
        v.shape
    );
}

/// y[n, c, :] = x[n, c, :] + v[n, c]  (overwrites y).
#[allow(clippy::too_many_arguments)]
pub fn broadcast_add(
    gpu: &Gpu,
    n: usize,
    c: usize,
    hw: usize,
    x: &GpuTensor,
    v: &GpuTensor,
    y: &GpuTensor,
) -> Dispatch {
    check("broadcast_add", n, c, hw, x, v, y);
    let p = Params {
        count: x.len() as u32,
        hw: hw as u32,
        c: c as u32,
        ca: 0,
    };
    gpu.dispatch(
        "broadcast_add",
        id::broadcast_add,
        "main",
        &p,
        &[x, v, y],
        grid_1d(x.len()),
    )
}

/// dx += dy;  dv[n, c] += sum over hw of dy (one workgroup per (n, c) row, fixed-order
/// tree sum). One dispatch.
#[allow(clippy::too_many_arguments)]
pub fn broadcast_add_backward(
    gpu: &Gpu,
    n: usize,
    c: usize,
    hw: usize,
    dy: &GpuTensor,
    dx: &GpuTensor,
    dv: &GpuTensor,
) -> Vec<Dispatch> {
    check("broadcast_add_backward", n, c, hw, dy, dv, dx);
    let rows = n * c;
    let p = Params {
        count: rows as u32,
        hw: hw as u32,
        c: c as u32,
        ca: 0,
    };
    vec![gpu.dispatch(
        "broadcast_add_backward",
        id::broadcast_add_backward,
        "main",
        &p,
        &[dy, dx, dv],
        row_groups(rows),
    )]
}

/// Backward of cat(a, b) + v along channels (a has `ca` of the `c` channels): da += dy[:, :ca],
/// db += dy[:, ca:], dv += sum over hw of dy. One dispatch, no concat backward pass.
#[allow(clippy::too_many_arguments)]
pub fn broadcast_add_backward_split(
    gpu: &Gpu,
    n: usize,
    c: usize,
    ca: usize,
    hw: usize,
    dy: &GpuTensor,
    da: &GpuTensor,
    db: &GpuTensor,
    dv: &GpuTensor,
) -> Vec<Dispatch> {
    let what = "broadcast_add_backward_split";
    check(what, n, c, hw, dy, dv, dy);
    assert!(
        ca > 0 && ca < c,
        "{what}: split channel {ca} must be inside 1..{c}"
    );
    assert_eq!(
        da.len(),
        n * ca * hw,
        "{what}: da must be [n={n}, ca={ca}, hw={hw}]"
    );
    assert_eq!(
        db.len(),
        n * (c - ca) * hw,
        "{what}: db must be [n={n}, {}, hw={hw}]",
        c - ca
    );
    let rows = n * c;
    let p = Params {
        count: rows as u32,
        hw: hw as u32,
        c: c as u32,
        ca: ca as u32,
    };
    vec![gpu.dispatch(
        "broadcast_add_backward",
        id::broadcast_add_backward,
        "split",
        &p,
        &[dy, da, dv, db],
        row_groups(rows),
    )]
}

/// One workgroup per row, wrapped into 2-D past GRID_ROW.
fn row_groups(rows: usize) -> [u32; 3] {
    if rows <= GRID_ROW as usize {
        [rows.max(1) as u32, 1, 1]
    } else {
        [GRID_ROW, rows.div_ceil(GRID_ROW as usize) as u32, 1]
    }
}

pub fn broadcast_add_cpu(n: usize, c: usize, hw: usize, x: &[f32], v: &[f32]) -> Vec<f32> {
    assert_eq!(x.len(), n * c * hw);
    x.iter().enumerate().map(|(i, x)| x + v[i / hw]).collect()
}

/// Returns the plain gradients (dx, dv); dv sums in f64.
pub fn broadcast_add_backward_cpu(
    n: usize,
    c: usize,
    hw: usize,
    dy: &[f32],
) -> (Vec<f32>, Vec<f32>) {
    assert_eq!(dy.len(), n * c * hw);
    let dv = dy
        .chunks(hw)
        .map(|r| r.iter().map(|g| *g as f64).sum::<f64>() as f32)
        .collect();
    (dy.to_vec(), dv)
}
