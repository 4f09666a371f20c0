//! Broadcast add of a per-(image, channel) value over H*W (the time embedding's MLP output
//! added to a feature map): `shaders/broadcast_add.wgsl`, `shaders/broadcast_add_backward.wgsl`.

use crate::gpu::shape::{expect_len, expect_u32};
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor, GRID_ROW};

crate::uniform! {
    struct Params for broadcast_add {
        total: u32,
        hw: u32,
    }
}

crate::uniform! {
    struct BackwardParams for broadcast_add_backward {
        rows: u32,
        hw: u32,
        c: u32,
        ca: u32,
    }
}

crate::bindings! {
    for broadcast_add { x: read, v: read, y: read_write }
    for broadcast_add_backward {
        main, main_vec4 => { dy | dy4: read, dx | dx4: read_write, dv: read_write }
        split, split_vec4 => {
            dy | dy4: read,
            dx | dx4: read_write,
            dv: read_write,
            db | db4: read_write,
        }
    }
}

#[track_caller]
fn check(op: &str, n: usize, c: usize, hw: usize, x: (&str, &GpuTensor), v: &GpuTensor) {
    assert!(hw > 0, "{op}: hw must be positive");
    expect_u32(op, n * c * hw);
    expect_len(op, x.0, x.1, n * c * hw, "[n, c, hw]");
    expect_len(op, "v", v, n * c, "[n, c]");
}

/// y[n, c, :] = x[n, c, :] + v[n, c]  (overwrites y).
pub fn broadcast_add(
    gpu: &Gpu,
    n: usize,
    c: usize,
    hw: usize,
    x: &GpuTensor,
    v: &GpuTensor,
    y: &GpuTensor,
) -> Dispatch {
    let op = "broadcast_add";
    check(op, n, c, hw, ("x", x), v);
    expect_len(op, "y", y, x.len(), "[n, c, hw]");
    let p = Params {
        total: x.len() as u32,
        hw: hw as u32,
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

/// dx += dy;  dv[n, c] += sum over hw of dy (ROWS (n, c) rows per workgroup, each summed in
/// a fixed order; vec4 loads and stores where hw % 4 == 0). One dispatch.
pub fn broadcast_add_backward(
    gpu: &Gpu,
    n: usize,
    c: usize,
    hw: usize,
    dy: &GpuTensor,
    dx: &GpuTensor,
    dv: &GpuTensor,
) -> Vec<Dispatch> {
    let op = "broadcast_add_backward";
    check(op, n, c, hw, ("dy", dy), dv);
    expect_len(op, "dx", dx, dy.len(), "[n, c, hw]");
    let rows = n * c;
    let p = BackwardParams {
        rows: rows as u32,
        hw: hw as u32,
        c: c as u32,
        ca: 0,
    };
    vec![gpu.dispatch(
        "broadcast_add_backward",
        id::broadcast_add_backward,
        entry("main", hw, &[dy, dx]),
        &p,
        &[dy, dx, dv],
        row_groups(rows),
    )]
}

/// Backward of cat(a, b) + v along channels (a has `ca` of the `c` channels): da += dy[:, :ca],
/// db += dy[:, ca:], dv += sum over hw of dy. One dispatch, no concat backward pass.
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
    let op = "broadcast_add_backward_split";
    check(op, n, c, hw, ("dy", dy), dv);
    assert!(
        ca > 0 && ca < c,
        "{op}: split channel {ca} must be inside 1..{c}"
    );
    expect_len(op, "da", da, n * ca * hw, "[n, ca, hw]");
    expect_len(op, "db", db, n * (c - ca) * hw, "[n, c - ca, hw]");
    let rows = n * c;
    let p = BackwardParams {
        rows: rows as u32,
        hw: hw as u32,
        c: c as u32,
        ca: ca as u32,
    };
    vec![gpu.dispatch(
        "broadcast_add_backward",
        id::broadcast_add_backward,
        entry("split", hw, &[dy, da, db]),
        &p,
        &[dy, da, dv, db],
        row_groups(rows),
    )]
}

/// `name`, or its `_vec4` twin where a row is whole vec4s and every big tensor's binding
/// starts on one (it does unless the adapter aligns storage offsets below 16 bytes).
fn entry(name: &'static str, hw: usize, big: &[&GpuTensor]) -> &'static str {
    let vec4 = hw.is_multiple_of(4) && big.iter().all(|t| t.offset.is_multiple_of(16));
    match (name, vec4) {
        ("main", true) => "main_vec4",
        ("split", true) => "split_vec4",
        _ => name,
    }
}

/// Rows of `shaders/broadcast_add_backward.wgsl`'s workgroups (`ROWS` there).
const ROWS: usize = 32;

/// One workgroup per `ROWS` rows, wrapped into 2-D past GRID_ROW.
fn row_groups(rows: usize) -> [u32; 3] {
    let groups = rows.div_ceil(ROWS).max(1);
    if groups <= GRID_ROW as usize {
        [groups as u32, 1, 1]
    } else {
        [GRID_ROW, groups.div_ceil(GRID_ROW as usize) as u32, 1]
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
