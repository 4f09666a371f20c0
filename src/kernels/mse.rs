//! Mean squared error: `shaders/mse.wgsl` + `shaders/mse_sum.wgsl` (deterministic two-pass
//! reduction), `shaders/mse_backward.wgsl`; the min-SNR weighted variants (entry `weighted`,
//! `shaders/mse_backward_weighted.wgsl`) scale each image's squares by its weight.

use crate::gpu::shape::{expect_len, expect_len_of};
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor, GRID_ROW, WG};

/// Elements each pass-1 invocation adds.
const PER_THREAD: usize = 8;
/// Elements per pass-1 workgroup.
pub const CHUNK: usize = WG as usize * PER_THREAD;
/// The override constants of `shaders/mse.wgsl`.
pub const CONSTANTS: &[(&str, f64)] = &[("PER_THREAD", PER_THREAD as f64)];

crate::uniform! {
    struct Params1 for mse {
        len: u32,
        chunks: u32,
        chw: u32,
    }
}

crate::uniform! {
    struct Params2 for mse_sum, mse_backward {
        count | total | chunks: u32,
        scale | inv_len: f32,
    }
}

/// loss[0] = mean((pred - target)^2). Pass 1 writes one partial sum per CHUNK elements into
/// a scratch buffer; pass 2 (one workgroup) sums them in a fixed order.
pub fn mse(gpu: &Gpu, pred: &GpuTensor, target: &GpuTensor, loss: &GpuTensor) -> Vec<Dispatch> {
    mean_square(gpu, pred, Some(target), None, loss)
}

/// loss[0] = mean over images i of w[i] * mean over image i of (pred - target)^2, i.e.
/// (1/N) sum_e w[e / chw] (pred_e - target_e)^2 with chw = N / n for the n weights of `w`.
pub fn mse_weighted(
    gpu: &Gpu,
    pred: &GpuTensor,
    target: &GpuTensor,
    w: &GpuTensor,
    loss: &GpuTensor,
) -> Vec<Dispatch> {
    mean_square(gpu, pred, Some(target), Some(w), loss)
}

/// Elements per image of `pred` for the per-image weights `w`.
#[track_caller]
fn per_image(op: &str, pred: &GpuTensor, w: &GpuTensor) -> usize {
    let n = w.len();
    assert!(
        n > 0 && pred.len().is_multiple_of(n),
        "{op}: {} weights do not split {} elements into whole images",
        n,
        pred.len()
    );
    pred.len() / n
}

/// out[0] = mean(x^2), the same two passes without a target (entry `squares`).
pub fn mean_of_squares(gpu: &Gpu, x: &GpuTensor, out: &GpuTensor) -> Vec<Dispatch> {
    mean_square(gpu, x, None, None, out)
}

fn mean_square(
    gpu: &Gpu,
    pred: &GpuTensor,
    target: Option<&GpuTensor>,
    w: Option<&GpuTensor>,
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
    let chw = w.map_or(0, |w| per_image("mse", pred, w));
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
        chw: chw as u32,
    };
    let mut binds = vec![pred, target, &partial];
    let entry = match w {
        Some(w) => {
            binds.push(w);
            "weighted"
        }
        None => entry,
    };
    vec![
        gpu.dispatch_with("mse", id::mse, entry, CONSTANTS, &p1, &binds, groups),
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

crate::uniform! {
    struct WeightedBackParams for mse_backward_weighted {
        total: u32,
        scale: f32,
        chw: u32,
    }
}

crate::bindings! {
    for mse {
        main, squares => { pred: read, tgt: read, partial: read_write }
        weighted => { pred: read, tgt: read, partial: read_write, w: read }
    }
    for mse_backward { pred: read, tgt: read, dpred: read_write }
    for mse_backward_weighted { pred: read, tgt: read, w: read, dpred: read_write }
    for mse_sum { partial: read, loss: read_write }
}

/// dpred += 2 w[e / chw] (pred - target) / `mean_over`: the gradient of [`mse_weighted`]
/// (`mean_over` = N, or the whole step's N for one micro-batch of an accumulated batch).
pub fn mse_backward_weighted_over(
    gpu: &Gpu,
    pred: &GpuTensor,
    target: &GpuTensor,
    w: &GpuTensor,
    dpred: &GpuTensor,
    mean_over: usize,
) -> Dispatch {
    let op = "mse_backward_weighted";
    let len = pred.len();
    expect_len_of(op, "target", target, pred);
    expect_len_of(op, "dpred", dpred, pred);
    let p = WeightedBackParams {
        total: len as u32,
        scale: (2.0 / mean_over.max(1) as f64) as f32,
        chw: per_image(op, pred, w) as u32,
    };
    gpu.dispatch(
        op,
        id::mse_backward_weighted,
        "main",
        &p,
        &[pred, target, w, dpred],
        grid_1d(len),
    )
}

/// CPU reference of [`mse_weighted`] (f64 accumulation).
pub fn mse_weighted_cpu(pred: &[f32], target: &[f32], w: &[f32]) -> f32 {
    let chw = pred.len() / w.len();
    let s: f64 = pred
        .iter()
        .zip(target)
        .enumerate()
        .map(|(e, (p, t))| w[e / chw] as f64 * (*p as f64 - *t as f64).powi(2))
        .sum();
    (s / pred.len() as f64) as f32
}

/// CPU reference of [`mse_backward_weighted_over`] over the whole input: the plain gradient
/// 2 w (pred - target) / N.
pub fn mse_backward_weighted_cpu(pred: &[f32], target: &[f32], w: &[f32]) -> Vec<f32> {
    let (s, chw) = (2.0 / pred.len() as f64, pred.len() / w.len());
    pred.iter()
        .zip(target)
        .enumerate()
        .map(|(e, (p, t))| (s * w[e / chw] as f64 * (*p as f64 - *t as f64)) as f32)
        .collect()
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
