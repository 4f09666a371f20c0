//! BatchNorm2d: `shaders/batchnorm_stats.wgsl` + `shaders/batchnorm.wgsl` (training forward,
//! two passes), `shaders/batchnorm_eval.wgsl`, `shaders/batchnorm_backward_reduce.wgsl` and
//! `shaders/batchnorm_backward.wgsl` (training backward, two passes); shared Params in
//! `shaders/bn_params.wgsl`.
//!
//! Statistics are deterministic: one read of x sums d = x - K and d^2 with K the channel's
//! first value (shifted data, so no E[x^2] - E[x]^2 cancellation when the mean is large), one
//! partial per (channel, chunk of `BN_CHUNK` values) from a fixed-order tree reduction in a
//! workgroup; the next pass sums a channel's partials in chunk order. No atomics.

use crate::gpu::shape::{expect_len, expect_u32};
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor, WG};

mod reference;
pub use reference::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BnShape {
    pub n: usize,
    pub c: usize,
    pub hw: usize,
}

impl BnShape {
    /// Values per channel (the batch-statistics population).
    pub fn m(&self) -> usize {
        self.n * self.hw
    }

    pub fn len(&self) -> usize {
        self.n * self.c * self.hw
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Workgroups (chunks) per channel in the reduction passes.
    pub fn chunks(&self) -> usize {
        self.m().div_ceil(BN_CHUNK).max(1)
    }
}

/// What the normalising pass writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BnOut {
    /// bn(x).
    Plain,
    /// relu(bn(x)), op batchnorm_relu: BatchNorm fused with the ReLU that follows it, so no
    /// separate ReLU pass runs forward or backward (`src/kernels/batchnorm_relu.rs`).
    Relu,
}

impl BnOut {
    fn entry(self) -> &'static str {
        match self {
            BnOut::Plain => "main",
            BnOut::Relu => "main_relu",
        }
    }
}

pub const BN_EPS: f32 = 1e-5;
pub const BN_MOMENTUM: f32 = 0.1;
/// Values of one channel each invocation covers per chunk.
const PER_THREAD: usize = 8;
/// Values of one channel reduced by one workgroup.
pub const BN_CHUNK: usize = WG as usize * PER_THREAD;
/// The override constants of the kernels that import `shaders/bn_params.wgsl`.
pub const CONSTANTS: &[(&str, f64)] = &[("PER_THREAD", PER_THREAD as f64)];

crate::uniform! {
    /// Mirrors `Params` in `shaders/bn_params.wgsl`, which every batchnorm kernel (the eval
    /// backward's too) imports.
    pub(crate) struct Params for batchnorm, batchnorm_stats, batchnorm_backward, batchnorm_backward_reduce, batchnorm_eval, batchnorm_eval_backward, batchnorm_eval_backward_params {
        n: u32,
        c: u32,
        hw: u32,
        m: u32,
        chunks: u32,
        eps: f32,
        momentum: f32,
        /// Total element count (the elementwise eval kernels).
        total: u32,
    }
}

crate::bindings! {
    for batchnorm {
        x: read,
        gamma: read,
        beta: read,
        running_mean: read_write,
        running_var: read_write,
        y: read_write,
        save_mean: read_write,
        save_invstd: read_write,
        partial: read,
    }
    for batchnorm_backward {
        x: read,
        mean: read,
        rstd: read,
        dy: read,
        gamma: read,
        dx: read_write,
        dgamma: read_write,
        dbeta: read_write,
        partial: read,
        r: read,
    }
    for batchnorm_backward_reduce {
        x: read,
        mean: read,
        rstd: read,
        dy: read,
        partial: read_write,
        r: read,
    }
    for batchnorm_eval {
        x: read,
        gamma: read,
        beta: read,
        running_mean: read,
        running_var: read,
        y: read_write,
    }
    for batchnorm_stats { x: read, partial: read_write }
}

pub(crate) fn params(s: &BnShape) -> Params {
    Params {
        n: s.n as u32,
        c: s.c as u32,
        hw: s.hw as u32,
        m: s.m() as u32,
        chunks: s.chunks() as u32,
        eps: BN_EPS,
        momentum: BN_MOMENTUM,
        total: s.len() as u32,
    }
}

#[track_caller]
fn check(op: &str, s: &BnShape, big: &[(&str, &GpuTensor)], per_channel: &[(&str, &GpuTensor)]) {
    assert!(s.c > 0 && s.m() > 0, "{op}: empty shape {s:?}");
    expect_u32(op, s.len());
    assert!(
        s.m() < 1 << 24,
        "{op}: shape {s:?} has more than 2^24 values per channel"
    );
    assert!(
        s.c <= 65535 && s.chunks() <= 65535,
        "{op}: shape {s:?} exceeds the workgroup grid"
    );
    for (name, t) in big {
        expect_len(op, name, t, s.len(), "[n, c, hw]");
    }
    for (name, t) in per_channel {
        expect_len(op, name, t, s.c, "[c]");
    }
}

/// Training mode: batch mean and biased variance per channel (one read of x, shifted sums,
/// deterministic, no atomics), y = gamma*(x-mean)*invstd + beta (or its ReLU, `out`;
/// overwrites y), saves mean and invstd [c] for backward, and updates running_mean/running_var
/// in place with momentum 0.1 (running_var uses the UNBIASED variance, as PyTorch). Two
/// dispatches.
pub fn batchnorm_train(
    gpu: &Gpu,
    s: &BnShape,
    x: &GpuTensor,
    gamma: &GpuTensor,
    beta: &GpuTensor,
    [running_mean, running_var, save_mean, save_invstd]: [&GpuTensor; 4],
    y: &GpuTensor,
    out: BnOut,
) -> Vec<Dispatch> {
    check(
        "batchnorm_train",
        s,
        &[("x", x), ("y", y)],
        &[
            ("gamma", gamma),
            ("beta", beta),
            ("running_mean", running_mean),
            ("running_var", running_var),
            ("save_mean", save_mean),
            ("save_invstd", save_invstd),
        ],
    );
    assert!(
        s.m() > 1,
        "batchnorm_train: need more than one value per channel, got shape {s:?}"
    );
    let p = params(s);
    let groups = [s.chunks() as u32, s.c as u32, 1];
    let partial = gpu.zeros(&[s.c * s.chunks(), 2]);
    vec![
        gpu.dispatch_with(
            "batchnorm_stats",
            id::batchnorm_stats,
            "main",
            CONSTANTS,
            &p,
            &[x, &partial],
            groups,
        ),
        gpu.dispatch_with(
            "batchnorm",
            id::batchnorm,
            out.entry(),
            CONSTANTS,
            &p,
            &[
                x,
                gamma,
                beta,
                running_mean,
                running_var,
                y,
                save_mean,
                save_invstd,
                &partial,
            ],
            groups,
        ),
    ]
}

/// Eval mode with running stats: y = gamma*(x-running_mean)/sqrt(running_var+eps) + beta (or
/// its ReLU, `out`; overwrites y).
pub fn batchnorm_eval(
    gpu: &Gpu,
    s: &BnShape,
    x: &GpuTensor,
    gamma: &GpuTensor,
    beta: &GpuTensor,
    [running_mean, running_var]: [&GpuTensor; 2],
    y: &GpuTensor,
    out: BnOut,
) -> Dispatch {
    check(
        "batchnorm_eval",
        s,
        &[("x", x), ("y", y)],
        &[
            ("gamma", gamma),
            ("beta", beta),
            ("running_mean", running_mean),
            ("running_var", running_var),
        ],
    );
    let p = params(s);
    gpu.dispatch_with(
        "batchnorm_eval",
        id::batchnorm_eval,
        out.entry(),
        CONSTANTS,
        &p,
        &[x, gamma, beta, running_mean, running_var, y],
        grid_1d(s.len()),
    )
}

/// Training-mode backward through the batch statistics; accumulates:
/// dx += gamma*invstd*(dy - mean(dy) - xhat*mean(dy*xhat)), dgamma += sum(dy*xhat),
/// dbeta += sum(dy), per channel. With `relu_out`, the output y of a `BnOut::Relu` forward,
/// dy is first masked by y > 0 (op batchnorm_relu). Two dispatches.
pub fn batchnorm_backward(
    gpu: &Gpu,
    s: &BnShape,
    x: &GpuTensor,
    gamma: &GpuTensor,
    [save_mean, save_invstd]: [&GpuTensor; 2],
    dy: &GpuTensor,
    relu_out: Option<&GpuTensor>,
    [dx, dgamma, dbeta]: [&GpuTensor; 3],
) -> Vec<Dispatch> {
    check(
        "batchnorm_backward",
        s,
        &[("x", x), ("dy", dy), ("dx", dx)],
        &[
            ("gamma", gamma),
            ("save_mean", save_mean),
            ("save_invstd", save_invstd),
            ("dgamma", dgamma),
            ("dbeta", dbeta),
        ],
    );
    let p = params(s);
    let groups = [s.chunks() as u32, s.c as u32, 1];
    let partial = gpu.zeros(&[2 * s.c * s.chunks()]);
    // Without ReLU the mask binding gets dy, which the `main` entries never read.
    let (mask, entry) = match relu_out {
        Some(r) => {
            check("batchnorm_relu backward", s, &[("relu output", r)], &[]);
            (r, "main_relu")
        }
        None => (dy, "main"),
    };
    vec![
        gpu.dispatch_with(
            "batchnorm_backward_reduce",
            id::batchnorm_backward_reduce,
            entry,
            CONSTANTS,
            &p,
            &[x, save_mean, save_invstd, dy, &partial, mask],
            groups,
        ),
        gpu.dispatch_with(
            "batchnorm_backward",
            id::batchnorm_backward,
            entry,
            CONSTANTS,
            &p,
            &[
                x,
                save_mean,
                save_invstd,
                dy,
                gamma,
                dx,
                dgamma,
                dbeta,
                &partial,
                mask,
            ],
            groups,
        ),
    ]
}
