//! Linear (fully connected) layer: `shaders/linear.wgsl`, `shaders/linear_backward_data.wgsl`,
//! `shaders/linear_backward_weight.wgsl`. Weights are PyTorch's `[out, in]`.

use bytemuck::{Pod, Zeroable};

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

fn check(what: &str, t: &GpuTensor, len: usize, shape: &str) {
    assert_eq!(
        t.len(),
        len,
        "{what}: expected {len} elements ({shape}), got shape {:?}",
        t.shape
    );
}

/// Forward FLOPs of a linear layer (multiply-adds count 2, the bias add is ignored).
pub fn linear_flops(m: usize, k: usize, n: usize) -> f64 {
    2.0 * (m * k * n) as f64
}

/// y[m, n] = x[m, k] w[n, k]^T + b[n]  (overwrites y).
#[allow(clippy::too_many_arguments)]
pub fn linear(
    gpu: &Gpu,
    m: usize,
    k: usize,
    n: usize,
    x: &GpuTensor,
    w: &GpuTensor,
    b: &GpuTensor,
    y: &GpuTensor,
) -> Dispatch {
    assert!(
        m > 0 && k > 0 && n > 0,
        "linear: empty shape m={m} k={k} n={n}"
    );
    check("linear x", x, m * k, "[m, k]");
    check("linear w", w, n * k, "[n, k]");
    check("linear b", b, n, "[n]");
    check("linear y", y, m * n, "[m, n]");
    let blocks = n.div_ceil(4);
    let p = Params {
        m: m as u32,
        k: k as u32,
        n: n as u32,
        blocks: blocks as u32,
    };
    gpu.dispatch(
        "linear",
        id::linear,
        "main",
        &p,
        &[x, w, b, y],
        grid_1d(m.div_ceil(4) * blocks),
    )
}

/// dx += dy w;  dw += dy^T x;  db += sum over the batch of dy. Two dispatches (input
/// gradient; weight and bias gradients), each summing in a fixed order.
#[allow(clippy::too_many_arguments)]
pub fn linear_backward(
    gpu: &Gpu,
    m: usize,
    k: usize,
    n: usize,
    x: &GpuTensor,
    w: &GpuTensor,
    dy: &GpuTensor,
    dx: &GpuTensor,
    dw: &GpuTensor,
    db: &GpuTensor,
) -> Vec<Dispatch> {
    vec![
        linear_backward_input(gpu, m, k, n, w, dy, dx),
        linear_backward_params(gpu, m, k, n, x, dy, dw, db),
    ]
}

fn backward_params(op: &str, m: usize, k: usize, n: usize, dy: &GpuTensor) -> Params {
    assert!(
        m > 0 && k > 0 && n > 0,
        "{op}: empty shape m={m} k={k} n={n}"
    );
    check(&format!("{op} dy"), dy, m * n, "[m, n]");
    Params {
        m: m as u32,
        k: k as u32,
        n: n as u32,
        blocks: k.div_ceil(4) as u32,
    }
}

/// dx += dy w: the input gradient of [`linear_backward`] alone.
pub fn linear_backward_input(
    gpu: &Gpu,
    m: usize,
    k: usize,
    n: usize,
    w: &GpuTensor,
    dy: &GpuTensor,
    dx: &GpuTensor,
) -> Dispatch {
    let p = backward_params("linear_backward", m, k, n, dy);
    check("linear_backward w", w, n * k, "[n, k]");
    check("linear_backward dx", dx, m * k, "[m, k]");
    gpu.dispatch(
        "linear_backward_data",
        id::linear_backward_data,
        "main",
        &p,
        &[w, dy, dx],
        grid_1d(m.div_ceil(4) * p.blocks as usize),
    )
}

/// dw += dy^T x;  db += sum over the batch of dy: the parameter gradients of
/// [`linear_backward`] alone.
#[allow(clippy::too_many_arguments)]
pub fn linear_backward_params(
    gpu: &Gpu,
    m: usize,
    k: usize,
    n: usize,
    x: &GpuTensor,
    dy: &GpuTensor,
    dw: &GpuTensor,
    db: &GpuTensor,
) -> Dispatch {
    let p = backward_params("linear_backward", m, k, n, dy);
    check("linear_backward x", x, m * k, "[m, k]");
    check("linear_backward dw", dw, n * k, "[n, k]");
    check("linear_backward db", db, n, "[n]");
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
