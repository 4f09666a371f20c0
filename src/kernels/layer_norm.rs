//! LayerNorm over the last dim (PyTorch `nn.LayerNorm([c])`, eps 1e-5, affine) of a
//! [rows, c] tensor: `shaders/layer_norm.wgsl` (forward, one dispatch),
//! `shaders/layer_norm_backward.wgsl` (dx), `shaders/layer_norm_backward_params.wgsl` and
//! `shaders/layer_norm_backward_params_sum.wgsl` (dgamma, dbeta: partials over chunks of 32
//! rows, then each column's partials in a fixed order); shared Params in
//! `shaders/layer_norm_params.wgsl`.
//!
//! A row is reduced by 2^shift lanes of one workgroup (`segments`), so short rows share a
//! workgroup and the per-row statistics need no second pass. Deterministic, no atomics.

use super::norm_reference::NormLayout;
// The CPU references: y in f64 (for finite differences), (y, mean, rstd), and the plain
// gradients (dx, dgamma, dbeta), not accumulated.
pub use super::norm_reference::{
    norm_backward_cpu as layer_norm_backward_cpu, norm_cpu as layer_norm_cpu,
    norm_f64 as layer_norm_f64,
};
use super::segments::Segments;
use crate::gpu::shape::{expect_len, expect_u32};
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor, ShaderId};

pub const LN_EPS: f32 = 1e-5;
/// Rows per partial of the dgamma/dbeta reduction: each invocation of its first pass walks
/// this many rows of one column.
const CHUNK_ROWS: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LnShape {
    pub rows: usize,
    pub c: usize,
}

impl LnShape {
    pub fn len(&self) -> usize {
        self.rows * self.c
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn segments(&self) -> Segments {
        Segments::new(self.rows, self.c)
    }

    /// Partials per column of the dgamma/dbeta reduction.
    fn chunks(&self) -> usize {
        self.rows.div_ceil(CHUNK_ROWS)
    }

    /// The columns as segments of their partials, for the reduction's second pass.
    fn columns(&self) -> Segments {
        Segments::new(self.c, self.chunks())
    }
}

crate::uniform! {
    struct Params for layer_norm, layer_norm_backward, layer_norm_backward_params, layer_norm_backward_params_sum {
        rows: u32,
        c: u32,
        shift: u32,
        chunk_rows: u32,
        chunks: u32,
        eps: f32,
        sum_shift: u32,
    }
}

crate::bindings! {
    for layer_norm {
        x: read,
        gamma: read,
        beta: read,
        y: read_write,
        mean: read_write,
        rstd: read_write,
    }
    for layer_norm_backward {
        x: read,
        mean: read,
        rstd: read,
        dy: read,
        gamma: read,
        dx: read_write,
    }
    for layer_norm_backward_params {
        x: read,
        mean: read,
        rstd: read,
        dy: read,
        partial: read_write,
    }
    for layer_norm_backward_params_sum { partial: read, dgamma: read_write, dbeta: read_write }
}

fn params(s: &LnShape) -> Params {
    Params {
        rows: s.rows as u32,
        c: s.c as u32,
        shift: s.segments().shift,
        chunk_rows: CHUNK_ROWS as u32,
        chunks: s.chunks() as u32,
        eps: LN_EPS,
        sum_shift: s.columns().shift,
    }
}

#[track_caller]
fn check(
    op: &str,
    s: &LnShape,
    big: &[(&str, &GpuTensor)],
    per_row: &[(&str, &GpuTensor)],
    per_col: &[(&str, &GpuTensor)],
) {
    assert!(s.rows > 0 && s.c > 0, "{op}: empty shape {s:?}");
    expect_u32(op, s.len());
    // udiv (shaders/common.wgsl) splits invocation indices below chunks * c < 2^24.
    assert!(
        s.chunks() * s.c < 1 << 24,
        "{op}: shape {s:?} has 2^29 or more elements"
    );
    s.segments().check(op);
    s.columns().check(op);
    let groups = [
        (big, s.len(), "[rows, c]"),
        (per_row, s.rows, "[rows]"),
        (per_col, s.c, "[c]"),
    ];
    for (list, want, layout) in groups {
        for (name, t) in list {
            expect_len(op, name, t, want, layout);
        }
    }
}

/// One dispatch of a kernel with a row per segment (shaders/layer_norm_row_pass.wgsl).
fn row_pass(gpu: &Gpu, s: &LnShape, kernel: ShaderId, bindings: &[&GpuTensor]) -> Dispatch {
    let grid = s.segments().grid_whole();
    gpu.dispatch(kernel.name(), kernel, "main", &params(s), bindings, grid)
}

/// y = (x - mean) * rstd * gamma + beta per row (overwrites y), saving the row's mean and
/// rstd = 1 / sqrt(biased variance + eps), [rows] each, for backward.
pub fn layer_norm(
    gpu: &Gpu,
    s: &LnShape,
    x: &GpuTensor,
    gamma: &GpuTensor,
    beta: &GpuTensor,
    y: &GpuTensor,
    mean: &GpuTensor,
    rstd: &GpuTensor,
) -> Dispatch {
    check(
        "layer_norm",
        s,
        &[("x", x), ("y", y)],
        &[("mean", mean), ("rstd", rstd)],
        &[("gamma", gamma), ("beta", beta)],
    );
    row_pass(gpu, s, id::layer_norm, &[x, gamma, beta, y, mean, rstd])
}

/// dx += rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = gamma * dy and means over
/// the row.
pub fn layer_norm_backward_input(
    gpu: &Gpu,
    s: &LnShape,
    x: &GpuTensor,
    gamma: &GpuTensor,
    mean: &GpuTensor,
    rstd: &GpuTensor,
    dy: &GpuTensor,
    dx: &GpuTensor,
) -> Dispatch {
    check(
        "layer_norm_backward_input",
        s,
        &[("x", x), ("dy", dy), ("dx", dx)],
        &[("mean", mean), ("rstd", rstd)],
        &[("gamma", gamma)],
    );
    row_pass(
        gpu,
        s,
        id::layer_norm_backward,
        &[x, mean, rstd, dy, gamma, dx],
    )
}

/// dgamma += sum over rows of dy * xhat, dbeta += sum over rows of dy. Two dispatches.
pub fn layer_norm_backward_params(
    gpu: &Gpu,
    s: &LnShape,
    x: &GpuTensor,
    mean: &GpuTensor,
    rstd: &GpuTensor,
    dy: &GpuTensor,
    dgamma: &GpuTensor,
    dbeta: &GpuTensor,
) -> Vec<Dispatch> {
    check(
        "layer_norm_backward_params",
        s,
        &[("x", x), ("dy", dy)],
        &[("mean", mean), ("rstd", rstd)],
        &[("dgamma", dgamma), ("dbeta", dbeta)],
    );
    let p = params(s);
    let partial = gpu.zeros(&[s.chunks() * s.c, 2]);
    vec![
        gpu.dispatch(
            "layer_norm_backward_params",
            id::layer_norm_backward_params,
            "main",
            &p,
            &[x, mean, rstd, dy, &partial],
            grid_1d(s.chunks() * s.c),
        ),
        gpu.dispatch(
            "layer_norm_backward_params_sum",
            id::layer_norm_backward_params_sum,
            "main",
            &p,
            &[&partial, dgamma, dbeta],
            s.columns().grid_whole(),
        ),
    ]
}

/// `layer_norm_backward_input` then `layer_norm_backward_params`: all three gradients,
/// accumulated. Three dispatches.
pub fn layer_norm_backward(
    gpu: &Gpu,
    s: &LnShape,
    x: &GpuTensor,
    gamma: &GpuTensor,
    mean: &GpuTensor,
    rstd: &GpuTensor,
    dy: &GpuTensor,
    [dx, dgamma, dbeta]: [&GpuTensor; 3],
) -> Vec<Dispatch> {
    let mut out = vec![layer_norm_backward_input(
        gpu, s, x, gamma, mean, rstd, dy, dx,
    )];
    out.extend(layer_norm_backward_params(
        gpu, s, x, mean, rstd, dy, dgamma, dbeta,
    ));
    out
}

impl NormLayout for LnShape {
    const OP: &'static str = "layer_norm";
    const EPS: f32 = LN_EPS;

    fn values(&self) -> usize {
        self.len()
    }

    fn populations(&self) -> usize {
        self.rows
    }

    fn channels(&self) -> usize {
        self.c
    }

    fn at(&self, i: usize) -> (usize, usize) {
        (i / self.c, i % self.c)
    }
}
