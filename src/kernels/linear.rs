//! Linear (fully connected) layer: `shaders/linear.wgsl`, `shaders/linear_backward_data.wgsl`,
//! `shaders/linear_backward_weight.wgsl`. Weights are PyTorch's `[out, in]`.

use bytemuck::{Pod, Zeroable};

use crate::gpu::shape::{dims, expect_shape, expect_u32};
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    m: u32,
    k: u32,
    n: u32,
    /// ceil of the tiled dimension / 4 (n for the forward, k for the backward passes)
    blocks: u32,
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

/// CPU reference of the forward pass (f64 accumulation).
pub fn linear_cpu(m: usize, k: usize, n: usize, x: &[f32], w: &[f32], b: &[f32]) -> Vec<f32> {
    let mut y = vec![0f32; m * n];
    for r in 0..m {
        for o in 0..n {
            let s: f64 = (0..k)
                .map(|i| x[r * k + i] as f64 * w[o * k + i] as f64)
                .sum();
            y[r * n + o] = (s + b[o] as f64) as f32;
        }
    }
    y
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
    let mut dx = vec![0f32; m * k];
    for r in 0..m {
        for i in 0..k {
            let s: f64 = (0..n)
                .map(|o| dy[r * n + o] as f64 * w[o * k + i] as f64)
                .sum();
            dx[r * k + i] = s as f32;
        }
    }
    let mut dw = vec![0f32; n * k];
    for o in 0..n {
        for i in 0..k {
            let s: f64 = (0..m)
                .map(|r| dy[r * n + o] as f64 * x[r * k + i] as f64)
                .sum();
            dw[o * k + i] = s as f32;
        }
    }
    let db = (0..n)
        .map(|o| (0..m).map(|r| dy[r * n + o] as f64).sum::<f64>() as f32)
        .collect();
    (dx, dw, db)
}
