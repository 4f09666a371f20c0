//! BatchNorm2d: `shaders/batchnorm_stats.wgsl` + `shaders/batchnorm.wgsl` (training forward,
//! two passes), `shaders/batchnorm_eval.wgsl`, `shaders/batchnorm_backward_reduce.wgsl` and
//! `shaders/batchnorm_backward.wgsl` (training backward, two passes); shared Params in
//! `shaders/bn_params.wgsl`.
//!
//! Statistics are deterministic: one read of x sums d = x - K and d^2 with K the channel's
//! first value (shifted data, so no E[x^2] - E[x]^2 cancellation when the mean is large), one
//! partial per (channel, chunk) summed in a fixed order by the chunk's invocations
//! (`workgroup_runs_sum2`; a long channel's chunks take a whole workgroup, short channels
//! share one: `BnShape::lanes`); the next pass sums a channel's partials in chunk order. No
//! atomics.
//!
//! Where a channel plane holds a multiple of 4 values (hw % 4 == 0) every pass (eval: below
//! 2^24 vec4s) runs its `_vec4` entry point, which moves 4 values per load and store (on
//! llvmpipe a vec4 store costs 1.6x an f32 one, BENCHMARKS.md); the other shapes run the f32
//! entries.

use crate::gpu::shape::{expect_len, expect_u32};
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor, WG};

mod reference;
mod shape;
pub use reference::*;
use shape::width_for;
pub use shape::BnShape;

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
    /// The entry point of a two-pass kernel (both have the same four).
    fn entry(self, width: usize) -> &'static str {
        match (self, width) {
            (BnOut::Plain, 4) => "main_vec4",
            (BnOut::Relu, 4) => "main_relu_vec4",
            (BnOut::Plain, _) => "main",
            (BnOut::Relu, _) => "main_relu",
        }
    }
}

pub const BN_EPS: f32 = 1e-5;
pub const BN_MOMENTUM: f32 = 0.1;
/// Elements (values, or vec4s of them) of one channel each invocation covers per chunk of a
/// long channel (a whole workgroup per chunk).
pub const BN_PER_THREAD: usize = 8;
/// The most elements each invocation covers of a short channel (one chunk, fewer
/// invocations: `BnShape::lanes`). Larger than `BN_PER_THREAD`: measured, 32 made the 7x7
/// and 14x14 passes 1.5-3x faster than 8 on llvmpipe, while long channels at 32 ran slower
/// there than in chunks of 8 per invocation (BENCHMARKS.md, issue 23).
pub const BN_SHORT_PER_THREAD: usize = 32;
/// Elements of one channel a whole workgroup covers per chunk.
pub const BN_CHUNK: usize = WG as usize * BN_PER_THREAD;
/// The override constants of the kernels that import `shaders/bn_params.wgsl`.
pub const CONSTANTS: &[(&str, f64)] = &[
    ("PER_THREAD", BN_PER_THREAD as f64),
    ("SHORT_PER_THREAD", BN_SHORT_PER_THREAD as f64),
];

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
        /// log2 of `BnShape::lanes` (the chunked passes).
        lane_shift: u32,
    }
}

crate::bindings! {
    for batchnorm {
        x | x4: read,
        gamma: read,
        beta: read,
        running_mean: read_write,
        running_var: read_write,
        y | y4: read_write,
        save_mean: read_write,
        save_invstd: read_write,
        partial: read,
    }
    for batchnorm_backward {
        x | x4: read,
        mean: read,
        rstd: read,
        dy | dy4: read,
        gamma: read,
        dx | dx4: read_write,
        dgamma: read_write,
        dbeta: read_write,
        partial: read,
        r | r4: read,
    }
    for batchnorm_backward_reduce {
        x | x4: read,
        mean: read,
        rstd: read,
        dy | dy4: read,
        partial: read_write,
        r | r4: read,
    }
    for batchnorm_eval {
        x | x4: read,
        gamma: read,
        beta: read,
        running_mean: read,
        running_var: read,
        y | y4: read_write,
    }
    for batchnorm_stats { x | x4: read, partial: read_write }
}

/// The uniform of every batchnorm kernel; `chunks` as the passes at `width` count them.
pub(crate) fn params(s: &BnShape, width: usize) -> Params {
    Params {
        n: s.n as u32,
        c: s.c as u32,
        hw: s.hw as u32,
        m: s.m() as u32,
        chunks: s.chunks_at(width) as u32,
        eps: BN_EPS,
        momentum: BN_MOMENTUM,
        total: s.len() as u32,
        lane_shift: s.lanes_at(width).trailing_zeros(),
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
        s.c <= 65535 && s.chunks_at(1) <= 65535,
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
    let width = width_for(s, &[x, y]);
    let p = params(s, width);
    let groups = s.groups_at(width);
    let partial = gpu.zeros(&[s.c * p.chunks as usize, 2]);
    vec![
        gpu.dispatch_with(
            "batchnorm_stats",
            id::batchnorm_stats,
            BnOut::Plain.entry(width),
            CONSTANTS,
            &p,
            &[x, &partial],
            groups,
        ),
        gpu.dispatch_with(
            "batchnorm",
            id::batchnorm,
            out.entry(width),
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
/// its ReLU, `out`; overwrites y). One invocation per value, or per vec4 where the planes
/// allow.
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
    // The vec4 entries find the channel with udiv, exact below 2^24.
    let width = match width_for(s, &[x, y]) {
        4 if s.len() / 4 < 1 << 24 => 4,
        _ => 1,
    };
    let p = params(s, width);
    gpu.dispatch_with(
        "batchnorm_eval",
        id::batchnorm_eval,
        out.entry(width),
        CONSTANTS,
        &p,
        &[x, gamma, beta, running_mean, running_var, y],
        grid_1d(s.len() / width),
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
    // Without ReLU the mask binding gets dy, which the plain entries never read.
    let (mask, out) = match relu_out {
        Some(r) => {
            check("batchnorm_relu backward", s, &[("relu output", r)], &[]);
            (r, BnOut::Relu)
        }
        None => (dy, BnOut::Plain),
    };
    let width = width_for(s, &[x, dy, dx, mask]);
    let entry = out.entry(width);
    let p = params(s, width);
    let groups = s.groups_at(width);
    let partial = gpu.zeros(&[2 * s.c * p.chunks as usize]);
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
