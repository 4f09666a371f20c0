//! Linear (fully connected) layer: `shaders/linear.wgsl`, `shaders/linear_backward_data.wgsl`,
//! `shaders/linear_backward_weight.wgsl`. Weights are PyTorch's `[out, in]`.

use crate::gpu::shape::{dims, expect_shape, expect_u32};
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

crate::uniform! {
    struct Params for linear, linear_backward_data, linear_backward_weight {
        m: u32,
        k: u32,
        n: u32,
        /// ceil of the tiled dimension / 4 (n for the forward, k for the backward passes)
        blocks | n_blocks | k_blocks: u32,
    }
}

crate::bindings! {
    for linear { x: read, w: read, b: read, y: read_write }
    for linear_backward_data { w: read, dy: read, dx: read_write }
    for linear_backward_weight { x: read, dy: read, dw: read_write, db: read_write }
}

/// The rows m and features of `t` [.., features] (rank >= 2: the leading dims are rows).
#[track_caller]
fn rows(op: &str, name: &str, t: &GpuTensor) -> (usize, usize) {
    match t.shape.as_slice() {
        [lead @ .., last] if !lead.is_empty() => (lead.iter().product(), *last),
        _ => panic!("{op}: {name} has shape {:?}, want [.., features]", t.shape),
    }
}

/// `t` has the rows of `like` and `features` columns: [.., features].
#[track_caller]
fn expect_rows(op: &str, name: &str, t: &GpuTensor, like: &GpuTensor, features: usize) {
    let mut want = like.shape.clone();
    *want.last_mut().unwrap() = features;
    expect_shape(op, name, t, &want);
}

/// The Params of [m, k] x [n, k]^T, tiling `tiled` (n forward, k backward) by 4.
#[track_caller]
fn params(op: &str, m: usize, k: usize, n: usize, tiled: usize) -> Params {
    assert!(
        m > 0 && k > 0 && n > 0,
        "{op}: empty shape m={m} k={k} n={n}"
    );
    expect_u32(op, m * k.max(n));
    Params {
        m: m as u32,
        k: k as u32,
        n: n as u32,
        blocks: tiled.div_ceil(4) as u32,
    }
}

/// Forward FLOPs of a linear layer (multiply-adds count 2, the bias add is ignored).
pub fn linear_flops(m: usize, k: usize, n: usize) -> f64 {
    2.0 * (m * k * n) as f64
}

/// y[.., n] = x[.., k] w[n, k]^T + b[n]  (overwrites y); the leading dims of x are rows.
#[track_caller]
pub fn linear(gpu: &Gpu, x: &GpuTensor, w: &GpuTensor, b: &GpuTensor, y: &GpuTensor) -> Dispatch {
    let op = "linear";
    let (m, k) = rows(op, "x", x);
    let [n, _] = dims(op, "w", w, "[n, k]");
    expect_shape(op, "w", w, &[n, k]);
    expect_shape(op, "b", b, &[n]);
    expect_rows(op, "y", y, x, n);
    let p = params(op, m, k, n, n);
    gpu.dispatch(
        op,
        id::linear,
        "main",
        &p,
        &[x, w, b, y],
        grid_1d(m.div_ceil(4) * p.blocks as usize),
    )
}

/// dx += dy w;  dw += dy^T x;  db += sum over the batch of dy. Two dispatches (input
/// gradient; weight and bias gradients), each summing in a fixed order.
#[track_caller]
pub fn linear_backward(
    gpu: &Gpu,
    x: &GpuTensor,
    w: &GpuTensor,
    dy: &GpuTensor,
    dx: &GpuTensor,
    dw: &GpuTensor,
    db: &GpuTensor,
) -> Vec<Dispatch> {
    vec![
        linear_backward_input(gpu, w, dy, dx),
        linear_backward_params(gpu, x, dy, dw, db),
    ]
}

/// dx[.., k] += dy[.., n] w[n, k]: the input gradient of [`linear_backward`] alone.
#[track_caller]
pub fn linear_backward_input(gpu: &Gpu, w: &GpuTensor, dy: &GpuTensor, dx: &GpuTensor) -> Dispatch {
    let op = "linear_backward";
    let [n, k] = dims(op, "w", w, "[n, k]");
    let (m, _) = rows(op, "dy", dy);
    expect_rows(op, "dy", dy, dy, n);
    expect_rows(op, "dx", dx, dy, k);
    let p = params(op, m, k, n, k);
    gpu.dispatch(
        "linear_backward_data",
        id::linear_backward_data,
        "main",
        &p,
        &[w, dy, dx],
        grid_1d(m.div_ceil(4) * p.blocks as usize),
    )
}

/// dw[n, k] += dy^T x;  db[n] += sum over the rows of dy: the parameter gradients of
/// [`linear_backward`] alone.
#[track_caller]
pub fn linear_backward_params(
    gpu: &Gpu,
    x: &GpuTensor,
    dy: &GpuTensor,
    dw: &GpuTensor,
    db: &GpuTensor,
) -> Dispatch {
    let op = "linear_backward";
    let (m, k) = rows(op, "x", x);
    let (_, n) = rows(op, "dy", dy);
    expect_rows(op, "dy", dy, x, n);
    expect_shape(op, "dw", dw, &[n, k]);
    expect_shape(op, "db", db, &[n]);
    let p = params(op, m, k, n, k);
    gpu.dispatch(
        "linear_backward_weight",
        id::linear_backward_weight,
        "main",
        &p,
        &[x, dy, dw, db],
        grid_1d(n.div_ceil(4) * p.blocks as usize),
    )
}

/// out[a * cols + b] = sum over j in 0..inner of term(a, b, j), accumulated in f64 in
/// increasing j: the one loop nest of the forward and backward references.
fn contract(
    rows: usize,
    cols: usize,
    inner: usize,
    term: impl Fn(usize, usize, usize) -> f64,
) -> Vec<f32> {
    (0..rows * cols)
        .map(|e| (0..inner).map(|j| term(e / cols, e % cols, j)).sum::<f64>() as f32)
        .collect()
}

/// CPU reference of the forward pass (f64 accumulation).
pub fn linear_cpu(m: usize, k: usize, n: usize, x: &[f32], w: &[f32], b: &[f32]) -> Vec<f32> {
    let f = |v: f32| v as f64;
    // The bias is term j = k, added after the sum over the inputs.
    contract(m, n, k + 1, |r, o, i| {
        if i < k {
            f(x[r * k + i]) * f(w[o * k + i])
        } else {
            f(b[o])
        }
    })
}

/// CPU reference of the backward pass: returns the plain gradients (dx, dw, db).
pub fn linear_backward_cpu(
    m: usize,
    k: usize,
    n: usize,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let f = |v: f32| v as f64;
    let dx = contract(m, k, n, |r, i, o| f(dy[r * n + o]) * f(w[o * k + i]));
    let dw = contract(n, k, m, |o, i, r| f(dy[r * n + o]) * f(x[r * k + i]));
    let db = contract(n, 1, m, |o, _, r| f(dy[r * n + o]));
    (dx, dw, db)
}
