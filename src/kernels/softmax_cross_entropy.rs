//! Softmax cross-entropy of logits [N, K] against u32 labels [N]:
//! `shaders/softmax_cross_entropy.wgsl` (log-softmax and per-row loss), then
//! `shaders/mse_sum.wgsl` as the deterministic second pass (sum of the rows times 1/N), and
//! `shaders/softmax_cross_entropy_backward.wgsl`.

use super::mse;
use crate::gpu::shape::expect_len;
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

crate::uniform! {
    struct Params for softmax_cross_entropy {
        total: u32, // rows: one invocation per row
        classes: u32,
    }
}

crate::uniform! {
    struct BackParams for softmax_cross_entropy_backward {
        total: u32, // rows * classes: one invocation per logit
        classes: u32,
        inv_rows: f32,
        _pad: u32,
    }
}

crate::bindings! {
    for softmax_cross_entropy { logits: read, labels: read, logp: read_write, row_loss: read_write }
    for softmax_cross_entropy_backward { logp: read, labels: read, dlogits: read_write }
}

#[track_caller]
fn check(op: &str, rows: usize, classes: usize, logits: (&str, &GpuTensor), labels: &GpuTensor) {
    assert!(
        rows > 0 && classes > 0,
        "{op}: needs at least one row and one class"
    );
    expect_len(op, logits.0, logits.1, rows * classes, "[rows, classes]");
    expect_len(op, "labels", labels, rows, "u32 [rows]");
}

/// logp = log_softmax(logits) row by row; loss[0] = mean over rows of -logp[n, labels[n]].
/// Labels are u32 in 0..K (a larger label is read as K - 1; callers check their labels).
pub fn softmax_cross_entropy(
    gpu: &Gpu,
    rows: usize,
    classes: usize,
    logits: &GpuTensor,
    labels: &GpuTensor,
    logp: &GpuTensor,
    loss: &GpuTensor,
) -> Vec<Dispatch> {
    let op = "softmax_cross_entropy";
    check(op, rows, classes, ("logits", logits), labels);
    expect_len(op, "logp", logp, rows * classes, "[rows, classes]");
    expect_len(op, "loss", loss, 1, "[1]");
    let row_loss = gpu.zeros(&[rows]);
    let p = Params {
        total: rows as u32,
        classes: classes as u32,
    };
    vec![
        gpu.dispatch(
            "softmax_cross_entropy",
            id::softmax_cross_entropy,
            "main",
            &p,
            &[logits, labels, logp, &row_loss],
            grid_1d(rows),
        ),
        mse::sum_pass(
            gpu,
            "softmax_cross_entropy_sum",
            &row_loss,
            1.0 / rows as f64,
            loss,
        ),
    ]
}

/// dlogits += (exp(logp) - onehot(labels)) / N.
pub fn softmax_cross_entropy_backward(
    gpu: &Gpu,
    rows: usize,
    classes: usize,
    logp: &GpuTensor,
    labels: &GpuTensor,
    dlogits: &GpuTensor,
) -> Dispatch {
    let op = "softmax_cross_entropy_backward";
    check(op, rows, classes, ("logp", logp), labels);
    expect_len(op, "dlogits", dlogits, rows * classes, "[rows, classes]");
    let p = BackParams {
        total: (rows * classes) as u32,
        classes: classes as u32,
        inv_rows: (1.0 / rows as f64) as f32,
        _pad: 0,
    };
    gpu.dispatch(
        "softmax_cross_entropy_backward",
        id::softmax_cross_entropy_backward,
        "main",
        &p,
        &[logp, labels, dlogits],
        grid_1d(rows * classes),
    )
}

/// CPU reference (f64): (log-softmax rows, mean cross-entropy).
pub fn softmax_cross_entropy_cpu(
    logits: &[f32],
    labels: &[u32],
    classes: usize,
) -> (Vec<f32>, f32) {
    let mut logp = Vec::with_capacity(logits.len());
    let mut total = 0.0f64;
    for (row, &y) in logits.chunks(classes).zip(labels) {
        let m = row.iter().fold(f64::MIN, |a, &v| a.max(v as f64));
        let lse = m + row.iter().map(|&v| (v as f64 - m).exp()).sum::<f64>().ln();
        logp.extend(row.iter().map(|&v| (v as f64 - lse) as f32));
        total += lse - row[(y as usize).min(classes - 1)] as f64;
    }
    (logp, (total / labels.len() as f64) as f32)
}

/// CPU reference of the plain gradient (softmax - onehot) / N.
pub fn softmax_cross_entropy_backward_cpu(
    logits: &[f32],
    labels: &[u32],
    classes: usize,
) -> Vec<f32> {
    let (logp, _) = softmax_cross_entropy_cpu(logits, labels, classes);
    let n = labels.len() as f64;
    logp.iter()
        .enumerate()
        .map(|(i, &lp)| {
            let hot = (i % classes) as u32 == labels[i / classes].min(classes as u32 - 1);
            (((lp as f64).exp() - if hot { 1.0 } else { 0.0 }) / n) as f32
        })
        .collect()
}
