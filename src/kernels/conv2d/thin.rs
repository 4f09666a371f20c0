//! The 3x3 conv from a few input channels (a U-Net's first conv) on the NCHW buffers, with no
//! packing pass: `shaders/conv2d_thin.wgsl` (forward) and `shaders/conv2d_thin_weight.wgsl` +
//! `shaders/conv2d_thin_weight_reduce.wgsl` (the weight gradient), both reading the input
//! through `shaders/conv2d_thin_input.wgsl`. Backward-input stays on the packed kernels (a
//! U-Net's input x_t needs none in training). Their dispatches carry labels of their own
//! (`conv2d_thin*`), so a step's profile shows them apart.

use super::Conv2dShape;
use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor};

/// Most input channels the thin kernels run: any count is correct there, but they were
/// measured against the packed kernels only at the first conv's 1 input channel.
const THIN_CI: usize = 4;

/// Whether the thin kernels run `s`: k = 3, at most `THIN_CI` input channels, and rows of
/// whole quads (they move 4 pixels as a vec4).
pub(super) fn applies(s: &Conv2dShape) -> bool {
    s.k == 3 && s.cin <= THIN_CI && s.w.is_multiple_of(4)
}

crate::uniform! {
    struct ThinParams for conv2d_thin {
        n: u32,
        cin: u32,
        cout: u32,
        h: u32,
        w: u32,
        cg: u32,
        total: u32,
        add: u32,
    }
}

crate::uniform! {
    struct ThinWeightParams for conv2d_thin_weight, conv2d_thin_weight_reduce {
        n: u32,
        cin: u32,
        cout: u32,
        h: u32,
        w: u32,
        cg: u32,
        total: u32,
        add: u32,
        splits: u32,
        per_split: u32,
    }
}

crate::bindings! {
    for conv2d_thin { x: read, v: read, weight: read, bias: read, y: read_write }
    for conv2d_thin_weight { x: read, v: read, dy: read, part: read_write }
    for conv2d_thin_weight_reduce { part: read, dw: read_write, db: read_write }
}

fn check(s: &Conv2dShape, v: Option<&GpuTensor>) {
    assert!(
        s.n * s.cin.max(s.cout) * s.h * s.w < u32::MAX as usize,
        "conv2d: {s:?} is too large for u32 indexing"
    );
    if let Some(v) = v {
        crate::gpu::shape::expect_len("conv2d", "v", v, s.n * s.cin, "[n, cin]");
    }
}

/// y = conv(x (+ v broadcast over the pixels), w) + b (overwrites y).
pub(super) fn forward(
    gpu: &Gpu,
    s: &Conv2dShape,
    x: &GpuTensor,
    v: Option<&GpuTensor>,
    w: &GpuTensor,
    b: &GpuTensor,
    y: &GpuTensor,
) -> Dispatch {
    check(s, v);
    let cg = s.cout.div_ceil(4);
    let total = s.n * s.h * cg;
    let p = ThinParams {
        n: s.n as u32,
        cin: s.cin as u32,
        cout: s.cout as u32,
        h: s.h as u32,
        w: s.w as u32,
        cg: cg as u32,
        total: total as u32,
        add: v.is_some() as u32,
    };
    // Without v the shader reads none; x stands in for the binding.
    let binds = [x, v.unwrap_or(x), w, b, y];
    gpu.dispatch(
        "conv2d_thin",
        id::conv2d_thin,
        "main",
        &p,
        &binds,
        grid_1d(total),
    )
}

/// dw += sum over (n, pixel) of dy times the input patch (x, + v if given), db += sum of dy:
/// partial sums over splits of the output rows into a scratch buffer, then a pass that adds
/// them in split order.
#[allow(clippy::too_many_arguments)]
pub(super) fn weight(
    gpu: &Gpu,
    s: &Conv2dShape,
    x: &GpuTensor,
    v: Option<&GpuTensor>,
    dy: &GpuTensor,
    dw: &GpuTensor,
    db: &GpuTensor,
) -> Vec<Dispatch> {
    check(s, v);
    let cg = s.cout.div_ceil(4);
    let rows = s.n * s.h;
    // Enough invocations to fill the adapter (a CPU wants a few thousand, a GPU tens of
    // thousands), each over at least 4 rows.
    let target: usize = if gpu.is_cpu() { 2048 } else { 65536 };
    let lanes = cg * s.cin;
    let splits = target.div_ceil(lanes).clamp(1, rows.div_ceil(4));
    let per_split = rows.div_ceil(splits);
    let splits = rows.div_ceil(per_split);
    let p = ThinWeightParams {
        n: s.n as u32,
        cin: s.cin as u32,
        cout: s.cout as u32,
        h: s.h as u32,
        w: s.w as u32,
        cg: cg as u32,
        total: (splits * lanes) as u32,
        add: v.is_some() as u32,
        splits: splits as u32,
        per_split: per_split as u32,
    };
    let part = gpu.zeros(&[splits * lanes * 36 + splits * cg * 4]);
    let what = "conv2d_thin_backward_weight";
    let binds = [x, v.unwrap_or(x), dy, &part];
    vec![
        gpu.dispatch(
            what,
            id::conv2d_thin_weight,
            "main",
            &p,
            &binds,
            grid_1d(splits * lanes),
        ),
        gpu.dispatch(
            "conv2d_thin_backward_weight_reduce",
            id::conv2d_thin_weight_reduce,
            "main",
            &p,
            &[&part, dw, db],
            grid_1d(s.lens().w + s.cout),
        ),
    ]
}
