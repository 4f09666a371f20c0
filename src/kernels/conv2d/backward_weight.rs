//! The weight-gradient passes: `shaders/conv2d_backward_weight.wgsl` and
//! `shaders/conv2d_backward_weight_reduce.wgsl`.

use super::{groups_1d, Conv2dShape, PackedInput};
use crate::gpu::{grid_1d, id, Bind, Dispatch, Gpu, GpuTensor};

/// Invocations per workgroup of `conv2d_backward_weight.wgsl`: `WGS`.
const BW_WG: usize = 64;

crate::uniform! {
    struct WeightParams for conv2d_backward_weight, conv2d_backward_weight_reduce {
        n: u32,
        cin4: u32,
        cout4: u32,
        h: u32,
        w: u32,
        k: u32,
        splits: u32,
        rows: u32,
        npl: u32,
        units: u32,
        invocations: u32,
        cin: u32,
        cout: u32,
    }
}

crate::bindings! {
    for conv2d_backward_weight { xt: texture_read_2d_array, dyt: texture_read_2d_array, part: read_write }
    for conv2d_backward_weight_reduce { part: read, dw: read_write, db: read_write }
}

/// Splits of the N*H output rows for the weight gradient: enough invocations to fill the
/// adapter (a CPU wants a few dozen workgroups, a GPU thousands), scratch at most ~4M floats.
fn weight_splits(gpu: &Gpu, s: &Conv2dShape, invocations: usize) -> (usize, usize) {
    let target: usize = if gpu.is_cpu() { 2048 } else { 65536 };
    let units = s.cout.div_ceil(4) * s.cin.div_ceil(4) * s.k;
    let per_split = units * 16 * s.k + s.cout.div_ceil(4) * 4;
    let cap = ((4usize << 20) / per_split).max(1);
    let want = target.div_ceil(invocations).clamp(1, cap).min(s.n * s.h);
    let rows = (s.n * s.h).div_ceil(want);
    ((s.n * s.h).div_ceil(rows), rows)
}

/// The weight-gradient passes on packed x and dy; the scratch buffer is allocated here.
pub(super) fn backward_weight_packed(
    gpu: &Gpu,
    s: &Conv2dShape,
    x: &PackedInput,
    dy: &PackedInput,
    dw: &GpuTensor,
    db: &GpuTensor,
) -> Vec<Dispatch> {
    let what = "conv2d_backward_weight";
    let (cin4, cout4) = (s.cin.div_ceil(4), s.cout.div_ceil(4));
    let units = cout4 * cin4 * s.k;
    // k = 3: one invocation per pair of output groups (see the shader).
    let (invocations, entry) = if s.k == 3 {
        (cout4.div_ceil(2) * cin4 * s.k, "main_k3")
    } else {
        (units, "main_k1")
    };
    let (splits, rows) = weight_splits(gpu, s, invocations);
    let p = WeightParams {
        n: s.n as u32,
        cin4: cin4 as u32,
        cout4: cout4 as u32,
        h: s.h as u32,
        w: s.w as u32,
        k: s.k as u32,
        splits: splits as u32,
        rows: rows as u32,
        npl: x.params.npl,
        units: units as u32,
        invocations: invocations as u32,
        cin: s.cin as u32,
        cout: s.cout as u32,
    };
    let part = gpu.zeros(&[splits * (units * 16 * s.k + cout4 * 4)]);
    let groups = groups_1d(what, invocations * splits, BW_WG);
    vec![
        gpu.dispatch_bound(
            what,
            id::conv2d_backward_weight,
            entry,
            &p,
            &[
                Bind::Texture(&x.view),
                Bind::Texture(&dy.view),
                Bind::Tensor(&part),
            ],
            groups,
        ),
        gpu.dispatch(
            "conv2d_backward_weight_reduce",
            id::conv2d_backward_weight_reduce,
            "main",
            &p,
            &[&part, dw, db],
            grid_1d(s.lens().w + s.cout),
        ),
    ]
}
