//! The dedicated stride-1 kernels as standalone launchers (packing included where the kernel
//! packs), for callers without a layer plan: the general-geometry API, tests and benches.

use super::backward_weight::backward_weight_packed;
use super::checks::Given;
use super::{conv_packed, narrow, thin, Conv2dShape, ConvPlan, PackedInput, PackedWeights};
use crate::gpu::{Dispatch, Gpu, GpuTensor};

/// y = conv(x, w) + b   (overwrites y), packing included (the narrow kernels pack nothing).
pub fn conv2d(
    gpu: &Gpu,
    s: &Conv2dShape,
    x: &GpuTensor,
    w: &GpuTensor,
    b: &GpuTensor,
    y: &GpuTensor,
) -> Vec<Dispatch> {
    ConvPlan::for_input(gpu, s, x, false).forward(gpu, x, w, b, y)
}

/// dx += conv_transpose(dy, w), packing included.
pub fn conv2d_backward_input(
    gpu: &Gpu,
    s: &Conv2dShape,
    w: &GpuTensor,
    dy: &GpuTensor,
    dx: &GpuTensor,
) -> Vec<Dispatch> {
    let what = "conv2d_backward_input";
    s.check(what);
    let given = Given {
        w: Some(w),
        dy: Some(dy),
        dx: Some(dx),
        ..Given::default()
    };
    s.lens().check(what, s, given);
    if narrow::applies(s) {
        return vec![narrow::input(gpu, s, w, dy, dx)];
    }
    let dyp = PackedInput::new(gpu, s.n, s.cout, s.h, s.w);
    let wt = PackedWeights::new(gpu, s, true);
    vec![
        dyp.pack(gpu, dy),
        wt.pack(gpu, w),
        conv_packed(gpu, &s.transposed(), &dyp, &wt, None, dx),
    ]
}

/// dw += sum_{n,h,w} dy * x-patch ; db += sum_{n,h,w} dy, packing included. Deterministic
/// split reduction over N*H*W (partials into a scratch buffer, then a fixed-order second pass).
pub fn conv2d_backward_weight(
    gpu: &Gpu,
    s: &Conv2dShape,
    x: &GpuTensor,
    dy: &GpuTensor,
    dw: &GpuTensor,
    db: &GpuTensor,
) -> Vec<Dispatch> {
    let what = "conv2d_backward_weight";
    s.check(what);
    let given = Given {
        x: Some(x),
        dy: Some(dy),
        dw: Some(dw),
        db: Some(db),
        ..Given::default()
    };
    s.lens().check(what, s, given);
    if narrow::applies(s) {
        return narrow::weight(gpu, s, x, dy, dw, db);
    }
    if thin::applies(s) {
        return thin::weight(gpu, s, x, None, dy, dw, db);
    }
    let xp = PackedInput::new(gpu, s.n, s.cin, s.h, s.w);
    let dyp = PackedInput::new(gpu, s.n, s.cout, s.h, s.w);
    let mut out = vec![xp.pack(gpu, x), dyp.pack(gpu, dy)];
    out.extend(backward_weight_packed(gpu, s, &xp, &dyp, dw, db));
    out
}
