//! Images to attention tokens and back: `shaders/tokens.wgsl`. `tokens` turns [n, C, H, W]
//! (read as [n, C, H*W]) into [n, H*W, C]; `untokens` is the reverse transpose. The backward
//! of each is the other one, accumulating into the gradient.

use crate::gpu::{id, Dispatch, Gpu, GpuTensor, WG};

crate::uniform! {
    struct Params for tokens {
        rows: u32,
        cols: u32,
        per_batch: u32,
        _pad: u32,
    }
}

crate::bindings! {
    for tokens { x: read, y: read_write }
}

/// y[b, s, r] (=|+=) x[b, r, s] for x [n, rows, cols].
#[allow(clippy::too_many_arguments)]
fn transpose(
    gpu: &Gpu,
    label: &'static str,
    entry: &str,
    n: usize,
    rows: usize,
    cols: usize,
    x: &GpuTensor,
    y: &GpuTensor,
) -> Dispatch {
    assert!(
        n > 0 && rows > 0 && cols > 0,
        "{label}: empty shape n={n} rows={rows} cols={cols}"
    );
    let per_batch = rows * cols;
    assert_eq!(
        x.len(),
        n * per_batch,
        "{label}: input must be [n={n}, {rows}, {cols}], got {:?}",
        x.shape
    );
    assert_eq!(
        y.len(),
        n * per_batch,
        "{label}: output must be [n={n}, {cols}, {rows}], got {:?}",
        y.shape
    );
    // One grid row per batch element: its width and the kernel's `udiv` bound the size.
    let groups = per_batch.div_ceil(WG as usize);
    assert!(
        groups <= 65535 && n <= 65535 && per_batch < 1 << 24,
        "{label}: {rows}x{cols} per batch element (n={n}) exceeds the grid"
    );
    let p = Params {
        rows: rows as u32,
        cols: cols as u32,
        per_batch: per_batch as u32,
        _pad: 0,
    };
    gpu.dispatch(
        label,
        id::tokens,
        entry,
        &p,
        &[x, y],
        [groups as u32, n as u32, 1],
    )
}

/// y[n, hw, c] = x[n, c, hw]: images to tokens (overwrites y).
pub fn tokens(gpu: &Gpu, n: usize, c: usize, hw: usize, x: &GpuTensor, y: &GpuTensor) -> Dispatch {
    transpose(gpu, "tokens", "main", n, c, hw, x, y)
}

/// dx[n, c, hw] += dy[n, hw, c]: the backward of [`tokens`].
pub fn tokens_backward(
    gpu: &Gpu,
    n: usize,
    c: usize,
    hw: usize,
    dy: &GpuTensor,
    dx: &GpuTensor,
) -> Dispatch {
    transpose(gpu, "tokens_backward", "accumulate", n, hw, c, dy, dx)
}

/// y[n, c, hw] = x[n, hw, c]: tokens to images (overwrites y).
pub fn untokens(
    gpu: &Gpu,
    n: usize,
    c: usize,
    hw: usize,
    x: &GpuTensor,
    y: &GpuTensor,
) -> Dispatch {
    transpose(gpu, "untokens", "main", n, hw, c, x, y)
}

/// dx[n, hw, c] += dy[n, c, hw]: the backward of [`untokens`].
pub fn untokens_backward(
    gpu: &Gpu,
    n: usize,
    c: usize,
    hw: usize,
    dy: &GpuTensor,
    dx: &GpuTensor,
) -> Dispatch {
    transpose(gpu, "untokens_backward", "accumulate", n, c, hw, dy, dx)
}

/// y[b, s, r] = x[b, r, s] for x [n, rows, cols].
fn transpose_cpu(n: usize, rows: usize, cols: usize, x: &[f32]) -> Vec<f32> {
    let mut y = vec![0f32; x.len()];
    for b in 0..n {
        for r in 0..rows {
            for s in 0..cols {
                y[(b * cols + s) * rows + r] = x[(b * rows + r) * cols + s];
            }
        }
    }
    y
}

/// CPU reference of [`tokens`]; it is also the fresh gradient of [`untokens_backward`].
pub fn tokens_cpu(n: usize, c: usize, hw: usize, x: &[f32]) -> Vec<f32> {
    transpose_cpu(n, c, hw, x)
}

/// CPU reference of [`untokens`]; it is also the fresh gradient of [`tokens_backward`].
pub fn untokens_cpu(n: usize, c: usize, hw: usize, x: &[f32]) -> Vec<f32> {
    transpose_cpu(n, hw, c, x)
}
