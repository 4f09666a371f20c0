//! Mean squared error: `shaders/mse.wgsl` + `shaders/mse_sum.wgsl` (deterministic two-pass
//! reduction), `shaders/mse_backward.wgsl`.

use crate::gpu::shape::{expect_len, expect_len_of};
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor, GRID_ROW, WG};

/// Elements each pass-1 invocation adds.
const PER_THREAD: usize = 8;
/// Elements per pass-1 workgroup.
pub const CHUNK: usize = WG as usize * PER_THREAD;
/// The override constants of `shaders/mse.wgsl`.
pub const CONSTANTS: &[(&str, f64)] = &[("PER_THREAD", PER_THREAD as f64)];

crate::uniform! {
    struct Params1 {
        len: u32,
        chunks: u32,
    }
}

crate::uniform! {
    struct Params2 {
        count | total | chunks: u32,
        scale | inv_len: f32,
    }
}

/// loss[0] = mean((pred - target)^2). Pass 1 writes one partial sum per CHUNK elements into
/// a scratch buffer; pass 2 (one workgroup) sums them in a fixed order.
pub fn mse(gpu: &Gpu, pred: &GpuTensor, target: &GpuTensor, loss: &GpuTensor) -> Vec<Dispatch> {
    mean_square(gpu, pred, Some(target), loss)
}

/// out[0] = mean(x^2), the same two passes without a target (entry `squares`).
pub fn mean_of_squares(gpu: &Gpu, x: &GpuTensor, out: &GpuTensor) -> Vec<Dispatch> {
    mean_square(gpu, x, None, out)
}

fn mean_square(
    gpu: &Gpu,
    pred: &GpuTensor,
    target: Option<&GpuTensor>,
    loss: &GpuTensor,
) -> Vec<Dispatch> {
    // Without a target, pred is bound in its place; the `squares` entry never reads it.
    let (target, entry) = match target {
        Some(t) => (t, "main"),
        None => (pred, "squares"),
    };
    let len = pred.len();
    assert!(len > 0, "mse: empty input");
    expect_len_of("mse", "target", target, pred);
    expect_len("mse", "loss", loss, 1, "[1]");
    let chunks = len.div_ceil(CHUNK);
    let partial = gpu.zeros(&[chunks]);
    let groups = if chunks <= GRID_ROW as usize {
        [chunks as u32, 1, 1]
    } else {
        [GRID_ROW, chunks.div_ceil(GRID_ROW as usize) as u32, 1]
    };
    let p1 = Params1 {
        len: len as u32,
        chunks: chunks as u32,
    };
    vec![
        gpu.dispatch_with(
            "mse",
            id::mse,
            entry,
            CONSTANTS,
            &p1,
            &[pred, target, &partial],
            groups,
        ),
        sum_pass(gpu, "mse_sum", &partial, 1.0 / len as f64, loss),
    ]
}

/// out[0] = scale * (the sum of `partial`), by one workgroup in a fixed order
/// (`shaders/mse_sum.wgsl`): the last pass of the mean reductions here and of
/// softmax_cross_entropy, recorded as `label`.
pub(crate) fn sum_pass(
    gpu: &Gpu,
    label: &'static str,
    partial: &GpuTensor,
    scale: f64,
    out: &GpuTensor,
) -> Dispatch {
    let p = Params2 {
        count: partial.len() as u32,
        scale: scale as f32,
    };
    gpu.dispatch(label, id::mse_sum, "main", &p, &[partial, out], [1, 1, 1])
}

/// dpred += 2 (pred - target) / N.
pub fn mse_backward(
    gpu: &Gpu,
    pred: &GpuTensor,
    target: &GpuTensor,
    dpred: &GpuTensor,
) -> Dispatch {
    mse_backward_over(gpu, pred, target, dpred, pred.len())
}

/// dpred += 2 (pred - target) / `mean_over`: the gradient of a mean over `mean_over`
/// elements of which `pred` holds a part (one micro-batch of an accumulated batch).
pub fn mse_backward_over(
    gpu: &Gpu,
    pred: &GpuTensor,
    target: &GpuTensor,
    dpred: &GpuTensor,
    mean_over: usize,
) -> Dispatch {
    let len = pred.len();
    expect_len_of("mse_backward", "target", target, pred);
    expect_len_of("mse_backward", "dpred", dpred, pred);
    let p = Params2 {
        count: len as u32,
        scale: (2.0 / mean_over.max(1) as f64) as f32,
    };
    gpu.dispatch(
        "mse_backward",
        id::mse_backward,
        "main",
        &p,
        &[pred, target, dpred],
        grid_1d(len),
    )
}

/// CPU reference (f64 accumulation).
pub fn mse_cpu(pred: &[f32], target: &[f32]) -> f32 {
    let s: f64 = pred
        .iter()
        .zip(target)
        .map(|(p, t)| (*p as f64 - *t as f64).powi(2))
        .sum();
    (s / pred.len() as f64) as f32
}

/// Returns the plain gradient 2 (pred - target) / N.
pub fn mse_backward_cpu(pred: &[f32], target: &[f32]) -> Vec<f32> {
    let s = 2.0 / pred.len() as f64;
    pred.iter()
        .zip(target)
        .map(|(p, t)| (s * (*p as f64 - *t as f64)) as f32)
        .collect()
}
