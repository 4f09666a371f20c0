//! Class-label embedding added to the time embedding: `shaders/label_embedding.wgsl`,
//! `shaders/label_embedding_backward.wgsl`. The table has `classes + 1` rows; the last is the
//! learned null label of classifier-free guidance (labels past it are clamped to it).

use crate::gpu::shape::expect_len;
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

crate::uniform! {
    struct Params for label_embedding, label_embedding_backward {
        n: u32,
        d: u32,
        rows: u32,
    }
}

crate::bindings! {
    for label_embedding { temb: read, y: read, table: read, out: read_write }
    for label_embedding_backward { y: read, dout: read, dtemb: read_write, dtable: read_write }
}

/// The Params of both passes, after checking the table, the labels `y` and the `rows`
/// tensors, which are all [n, d].
#[track_caller]
fn params(
    op: &str,
    n: usize,
    d: usize,
    y: &GpuTensor,
    table: &GpuTensor,
    rows: [(&str, &GpuTensor); 2],
) -> Params {
    assert!(
        d > 0 && table.len().is_multiple_of(d) && table.len() >= d,
        "{op}: table has shape {:?}, want [rows, {d}]",
        table.shape
    );
    expect_len(op, "y", y, n, "u32 [n]");
    for (name, t) in rows {
        expect_len(op, name, t, n * d, "[n, d]");
    }
    Params {
        n: n as u32,
        d: d as u32,
        rows: (table.len() / d) as u32,
    }
}

/// out = temb + table[y]  (overwrites out); temb and out are [n, d], y is u32 [n].
pub fn label_embedding(
    gpu: &Gpu,
    n: usize,
    d: usize,
    temb: &GpuTensor,
    y: &GpuTensor,
    table: &GpuTensor,
    out: &GpuTensor,
) -> Dispatch {
    let p = params(
        "label_embedding",
        n,
        d,
        y,
        table,
        [("temb", temb), ("out", out)],
    );
    gpu.dispatch(
        "label_embedding",
        id::label_embedding,
        "main",
        &p,
        &[temb, y, table, out],
        grid_1d(n * d),
    )
}

/// dtemb += dout; dtable[y[i]] += dout[i].
pub fn label_embedding_backward(
    gpu: &Gpu,
    n: usize,
    d: usize,
    y: &GpuTensor,
    dout: &GpuTensor,
    dtemb: &GpuTensor,
    dtable: &GpuTensor,
) -> Dispatch {
    let rows = [("dout", dout), ("dtemb", dtemb)];
    let p = params("label_embedding_backward", n, d, y, dtable, rows);
    let threads = (n * d).max(dtable.len());
    gpu.dispatch(
        "label_embedding_backward",
        id::label_embedding_backward,
        "main",
        &p,
        &[y, dout, dtemb, dtable],
        grid_1d(threads),
    )
}

pub fn label_embedding_cpu(n: usize, d: usize, temb: &[f32], y: &[u32], table: &[f32]) -> Vec<f32> {
    let rows = table.len() / d;
    (0..n * d)
        .map(|i| {
            let r = (y[i / d] as usize).min(rows - 1);
            temb[i] + table[r * d + i % d]
        })
        .collect()
}

/// Returns (dtemb, dtable).
pub fn label_embedding_backward_cpu(
    n: usize,
    d: usize,
    rows: usize,
    y: &[u32],
    dout: &[f32],
) -> (Vec<f32>, Vec<f32>) {
    let mut dtable = vec![0.0; rows * d];
    for i in 0..n {
        let r = (y[i] as usize).min(rows - 1);
        for k in 0..d {
            dtable[r * d + k] += dout[i * d + k];
        }
    }
    (dout.to_vec(), dtable)
}
