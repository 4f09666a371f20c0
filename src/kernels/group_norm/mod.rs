//! GroupNorm (PyTorch `nn.GroupNorm(groups, c)`, eps 1e-5, affine) on [n, c, ...] with the
//! trailing dims flattened to hw. Forward: `shaders/group_norm_stats.wgsl`,
//! `group_norm_moments.wgsl`, `group_norm.wgsl`; backward: `group_norm_backward_reduce.wgsl`,
//! `group_norm_backward_sums.wgsl`, `group_norm_backward.wgsl`; shared Params in
//! `group_norm_params.wgsl`.
//!
//! A group holds cg * hw values (all of c * hw for GroupNorm(1, c)), so its reductions are
//! spread over many workgroups: pass 1 writes one partial per (image, channel) plane and chunk
//! (`segments`: short planes share a workgroup, long ones are cut into chunks), pass 2 sums a
//! group's (or channel's) partials in a fixed order, pass 3 is elementwise. Deterministic, no
//! atomics.

use super::segments::{tile_grid, Segments, PER_LANE};
use crate::gpu::shape::{expect_len, expect_u32};
use crate::gpu::{id, Dispatch, Gpu, GpuTensor};

mod reference;
pub use reference::*;

pub const GN_EPS: f32 = 1e-5;
/// The override constants of the kernels that import `shaders/group_norm_params.wgsl`.
pub const CONSTANTS: &[(&str, f64)] = &[("PER_LANE", PER_LANE as f64)];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GnShape {
    pub n: usize,
    pub c: usize,
    /// Values per (image, channel): the product of the dims after c.
    pub hw: usize,
    pub groups: usize,
}

impl GnShape {
    pub fn len(&self) -> usize {
        self.n * self.c * self.hw
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Channels per group.
    pub fn cg(&self) -> usize {
        self.c / self.groups
    }

    /// (image, group) pairs: the populations normalised, and the length of mean and rstd.
    pub fn rows(&self) -> usize {
        self.n * self.groups
    }

    /// Values per group.
    pub fn m(&self) -> usize {
        self.cg() * self.hw
    }

    /// The (image, channel) planes as segments of the passes over the values.
    pub fn planes(&self) -> Segments {
        Segments::new(self.n * self.c, self.hw)
    }

    /// The groups as segments of their planes' partials (consecutive per group).
    fn group_partials(&self) -> Segments {
        Segments::new(self.rows(), self.cg() * self.planes().chunks())
    }

    /// The channels as segments of their partials (one run per image).
    fn channel_partials(&self) -> Segments {
        Segments::new(self.c, self.n * self.planes().chunks())
    }
}

crate::uniform! {
    struct Params for group_norm_stats, group_norm_moments, group_norm, group_norm_backward_reduce, group_norm_backward_sums, group_norm_backward {
        n: u32,
        c: u32,
        hw: u32,
        groups: u32,
        cg: u32,
        shift: u32,
        chunks: u32,
        eps: f32,
        gshift: u32,
        cshift: u32,
        gtiles: u32,
    }
}

crate::bindings! {
    for group_norm { x: read, gamma: read, beta: read, mean: read, rstd: read, y: read_write }
    for group_norm_backward {
        x: read,
        mean: read,
        rstd: read,
        dy: read,
        gamma: read,
        coef: read,
        dx: read_write,
    }
    for group_norm_backward_reduce {
        x: read,
        mean: read,
        rstd: read,
        dy: read,
        partial: read_write,
    }
    for group_norm_backward_sums {
        gamma: read,
        partial: read,
        coef: read_write,
        dgamma: read_write,
        dbeta: read_write,
    }
    for group_norm_moments { x: read, partial: read, mean: read_write, rstd: read_write }
    for group_norm_stats { x: read, partial: read_write }
}

fn params(s: &GnShape) -> Params {
    let planes = s.planes();
    Params {
        n: s.n as u32,
        c: s.c as u32,
        hw: s.hw as u32,
        groups: s.groups as u32,
        cg: s.cg() as u32,
        shift: planes.shift,
        chunks: planes.chunks() as u32,
        eps: GN_EPS,
        gshift: s.group_partials().shift,
        cshift: s.channel_partials().shift,
        gtiles: s.group_partials().tiles() as u32,
    }
}

/// `small` lists per-group ([n * groups]) and per-channel ([c]) tensors with their layout.
#[track_caller]
fn check(
    op: &str,
    s: &GnShape,
    big: &[(&str, &GpuTensor)],
    small: &[(&str, &GpuTensor, usize, &str)],
) {
    assert!(
        s.n > 0 && s.c > 0 && s.hw > 0 && s.groups > 0,
        "{op}: empty shape {s:?}"
    );
    assert!(
        s.c.is_multiple_of(s.groups),
        "{op}: {} channels do not split into {} groups",
        s.c,
        s.groups
    );
    expect_u32(op, s.len());
    // udiv (shaders/common.wgsl) is exact below 2^24; the group size is an exact f32.
    assert!(
        s.m() < 1 << 24 && s.n * s.c * s.planes().chunks() < 1 << 24,
        "{op}: shape {s:?} has 2^24 or more values per group or plane chunks"
    );
    s.planes().check(op);
    for (name, t) in big {
        expect_len(op, name, t, s.len(), "[n, c, hw]");
    }
    for (name, t, want, layout) in small {
        expect_len(op, name, t, *want, layout);
    }
}

/// y = (x - mean) * rstd * gamma[c] + beta[c] with the mean and biased variance of each
/// (image, group) (overwrites y), saving mean and rstd = 1 / sqrt(var + eps), [n * groups],
/// for backward. Three dispatches.
pub fn group_norm(
    gpu: &Gpu,
    s: &GnShape,
    x: &GpuTensor,
    gamma: &GpuTensor,
    beta: &GpuTensor,
    y: &GpuTensor,
    mean: &GpuTensor,
    rstd: &GpuTensor,
) -> Vec<Dispatch> {
    let rows = s.rows();
    check(
        "group_norm",
        s,
        &[("x", x), ("y", y)],
        &[
            ("gamma", gamma, s.c, "[c]"),
            ("beta", beta, s.c, "[c]"),
            ("mean", mean, rows, "[n * groups]"),
            ("rstd", rstd, rows, "[n * groups]"),
        ],
    );
    let p = params(s);
    let planes = s.planes();
    let partial = gpu.zeros(&[s.n * s.c * planes.chunks(), 2]);
    vec![
        gpu.dispatch_with(
            "group_norm_stats",
            id::group_norm_stats,
            "main",
            CONSTANTS,
            &p,
            &[x, &partial],
            planes.grid(),
        ),
        gpu.dispatch_with(
            "group_norm_moments",
            id::group_norm_moments,
            "main",
            CONSTANTS,
            &p,
            &[x, &partial, mean, rstd],
            s.group_partials().grid_whole(),
        ),
        gpu.dispatch_with(
            "group_norm",
            id::group_norm,
            "main",
            CONSTANTS,
            &p,
            &[x, gamma, beta, mean, rstd, y],
            planes.grid(),
        ),
    ]
}

/// Backward of `group_norm` from its saved mean and rstd; accumulates
/// dx += rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = gamma * dy and means over the
/// (image, group), dgamma += sum(dy * xhat), dbeta += sum(dy) per channel. Without `dx` the
/// last of its three dispatches is left out.
pub fn group_norm_backward(
    gpu: &Gpu,
    s: &GnShape,
    x: &GpuTensor,
    gamma: &GpuTensor,
    mean: &GpuTensor,
    rstd: &GpuTensor,
    dy: &GpuTensor,
    dx: Option<&GpuTensor>,
    dgamma: &GpuTensor,
    dbeta: &GpuTensor,
) -> Vec<Dispatch> {
    let rows = s.rows();
    let mut big = vec![("x", x), ("dy", dy)];
    big.extend(dx.map(|d| ("dx", d)));
    check(
        "group_norm_backward",
        s,
        &big,
        &[
            ("gamma", gamma, s.c, "[c]"),
            ("mean", mean, rows, "[n * groups]"),
            ("rstd", rstd, rows, "[n * groups]"),
            ("dgamma", dgamma, s.c, "[c]"),
            ("dbeta", dbeta, s.c, "[c]"),
        ],
    );
    let p = params(s);
    let planes = s.planes();
    let partial = gpu.zeros(&[s.n * s.c * planes.chunks(), 2]);
    let coef = gpu.zeros(&[rows, 2]);
    let mut out = vec![
        gpu.dispatch_with(
            "group_norm_backward_reduce",
            id::group_norm_backward_reduce,
            "main",
            CONSTANTS,
            &p,
            &[x, mean, rstd, dy, &partial],
            planes.grid(),
        ),
        gpu.dispatch_with(
            "group_norm_backward_sums",
            id::group_norm_backward_sums,
            "main",
            CONSTANTS,
            &p,
            &[gamma, &partial, &coef, dgamma, dbeta],
            tile_grid(1, s.group_partials().tiles() + s.channel_partials().tiles()),
        ),
    ];
    if let Some(dx) = dx {
        out.push(gpu.dispatch_with(
            "group_norm_backward",
            id::group_norm_backward,
            "main",
            CONSTANTS,
            &p,
            &[x, mean, rstd, dy, gamma, &coef, dx],
            planes.grid(),
        ));
    }
    out
}
