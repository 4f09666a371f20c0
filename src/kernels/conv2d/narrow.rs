//! The 1x1 conv to a few output channels (a U-Net's output conv) on the NCHW buffers, with
//! no packing pass: `shaders/conv2d_narrow.wgsl` (forward, backward-input) and
//! `shaders/conv2d_narrow_weight.wgsl` + `shaders/conv2d_narrow_weight_reduce.wgsl` (the
//! weight gradient). Their dispatches
//! carry labels of their own (`conv2d_narrow*`), so a step's profile shows them apart.

use super::Conv2dShape;
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

/// Most output channels of the narrow kernels (`NCO` in their shaders).
const NARROW_CO: usize = 4;

/// Whether the narrow kernels run `s`: k = 1, at most `NARROW_CO` output channels, and
/// whole quads of pixels per channel (they move 4 pixels as a vec4).
pub(super) fn applies(s: &Conv2dShape) -> bool {
    s.k == 1 && s.cout <= NARROW_CO && (s.h * s.w).is_multiple_of(4)
}

crate::uniform! {
    struct NarrowParams for conv2d_narrow {
        n: u32,
        cin: u32,
        cout: u32,
        hw4: u32,
        total: u32,
    }
}

crate::uniform! {
    struct NarrowWeightParams for conv2d_narrow_weight, conv2d_narrow_weight_reduce {
        n: u32,
        cin: u32,
        cout: u32,
        hw4: u32,
        total: u32,
        splits: u32,
        per_split: u32,
    }
}

crate::bindings! {
    for conv2d_narrow {
        forward => { x: read, weight: read, y: read_write, bias: read }
        input => { x: read, weight: read, y: read_write }
    }
    for conv2d_narrow_weight { x: read, dy: read, part: read_write }
    for conv2d_narrow_weight_reduce { part: read, dw: read_write, db: read_write }
}

fn params(s: &Conv2dShape) -> NarrowParams {
    let hw4 = s.h * s.w / 4;
    let total = s.n * hw4;
    // The shaders split invocation and quad indices through an f32 division (`udiv`).
    assert!(
        total < 1 << 24 && s.n * s.cin.max(s.cout) * s.h * s.w < u32::MAX as usize,
        "conv2d: {s:?} is too large for the narrow 1x1 kernels"
    );
    NarrowParams {
        n: s.n as u32,
        cin: s.cin as u32,
        cout: s.cout as u32,
        hw4: hw4 as u32,
        total: total as u32,
    }
}

/// y = conv(x, w) + b (overwrites y).
pub(super) fn forward(
    gpu: &Gpu,
    s: &Conv2dShape,
    x: &GpuTensor,
    w: &GpuTensor,
    b: &GpuTensor,
    y: &GpuTensor,
) -> Dispatch {
    let p = params(s);
    let groups = grid_1d(p.total as usize);
    gpu.dispatch(
        "conv2d_narrow",
        id::conv2d_narrow,
        "forward",
        &p,
        &[x, w, y, b],
        groups,
    )
}

/// dx += conv_transpose(dy, w).
pub(super) fn input(
    gpu: &Gpu,
    s: &Conv2dShape,
    w: &GpuTensor,
    dy: &GpuTensor,
    dx: &GpuTensor,
) -> Dispatch {
    let p = params(s);
    let groups = grid_1d(p.total as usize);
    let label = "conv2d_narrow_backward_input";
    gpu.dispatch(label, id::conv2d_narrow, "input", &p, &[dy, w, dx], groups)
}

/// dw += sum over (n, pixel) of dy x, db += sum of dy: partial sums over splits of the
/// pixels into a scratch buffer, then a pass that adds them in split order.
pub(super) fn weight(
    gpu: &Gpu,
    s: &Conv2dShape,
    x: &GpuTensor,
    dy: &GpuTensor,
    dw: &GpuTensor,
    db: &GpuTensor,
) -> Vec<Dispatch> {
    let np = params(s);
    let quads = np.total as usize;
    // Enough invocations to fill the adapter (a CPU wants a few thousand, a GPU tens of
    // thousands), each over at least 16 quads.
    let target: usize = if gpu.is_cpu() { 2048 } else { 65536 };
    let splits = target.div_ceil(s.cin).clamp(1, quads.div_ceil(16).max(1));
    let per_split = quads.div_ceil(splits);
    let splits = quads.div_ceil(per_split);
    let p = NarrowWeightParams {
        n: np.n,
        cin: np.cin,
        cout: np.cout,
        hw4: np.hw4,
        total: (splits * s.cin) as u32,
        splits: splits as u32,
        per_split: per_split as u32,
    };
    let part = gpu.zeros(&[splits * (s.cin + 1) * NARROW_CO]);
    let (what, reduce) = (
        "conv2d_narrow_backward_weight",
        id::conv2d_narrow_weight_reduce,
    );
    vec![
        gpu.dispatch(
            what,
            id::conv2d_narrow_weight,
            "main",
            &p,
            &[x, dy, &part],
            grid_1d(splits * s.cin),
        ),
        gpu.dispatch(
            "conv2d_narrow_backward_weight_reduce",
            reduce,
            "main",
            &p,
            &[&part, dw, db],
            grid_1d(s.cout * s.cin + s.cout),
        ),
    ]
}
