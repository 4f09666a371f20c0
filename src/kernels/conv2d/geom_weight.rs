//! The weight and bias gradients of the general-geometry convolutions:
//! `shaders/conv2d_geom_backward_weight.wgsl` + `conv2d_geom_backward_weight_reduce.wgsl`,
//! and `shaders/conv2d_geom_bias_backward.wgsl`.

use super::{groups_1d, PackedInput};
use crate::gpu::{grid_1d, id, Bind, Dispatch, Gpu, GpuTensor};

/// Invocations per workgroup of `conv2d_geom_backward_weight.wgsl`.
const BW_WG: usize = 64;

/// dw[o][i][ky][kx] += sum of g[n][o][r][c] * x[n][i][r*s + ky][c*s + kx] (x in its padded
/// coordinates): `gc` channels of g (`gh` x `gw`, any border), `xc` channels of x (packed
/// with the conv's padding as its border). Conv2d: g = dy, x = input; ConvTranspose2d:
/// g = input, x = dy.
#[derive(Clone, Copy, Debug)]
pub(super) struct WeightGrad {
    pub n: usize,
    pub gc: usize,
    pub xc: usize,
    pub gh: usize,
    pub gw: usize,
    pub k: usize,
    pub stride: usize,
}

crate::uniform! {
    struct WeightParams for conv2d_geom_backward_weight, conv2d_geom_backward_weight_reduce {
        n: u32,
        g4: u32,
        x4: u32,
        gh: u32,
        gw: u32,
        k: u32,
        s: u32,
        kxb: u32,
        splits: u32,
        rows: u32,
        units: u32,
        invocations: u32,
        g_tile_w: u32,
        g_tile_h: u32,
        g_npl: u32,
        g_top: u32,
        g_left: u32,
        x_tile_w: u32,
        x_tile_h: u32,
        x_npl: u32,
        gc: u32,
        xc: u32,
    }
}

/// Vec4 partial sums per unit (4 g channels x 4 taps).
const PER_UNIT: usize = 16;

/// Splits of the N*gh rows: enough invocations to fill the adapter (a CPU wants a few dozen
/// workgroups, a GPU thousands), scratch at most ~4M floats.
fn splits(gpu: &Gpu, wg: &WeightGrad, units: usize, invocations: usize) -> (usize, usize) {
    let target: usize = if gpu.is_cpu() { 2048 } else { 65536 };
    let cap = ((4usize << 20) / (units * PER_UNIT * 4)).max(1);
    let rows_total = wg.n * wg.gh;
    let want = target.div_ceil(invocations).clamp(1, cap).min(rows_total);
    let rows = rows_total.div_ceil(want);
    (rows_total.div_ceil(rows), rows)
}

/// The two weight-gradient passes on packed g and x; the scratch buffer is allocated here.
pub(super) fn weight_grad(
    gpu: &Gpu,
    label: &'static str,
    wg: &WeightGrad,
    g: &PackedInput,
    x: &PackedInput,
    dw: &GpuTensor,
) -> Vec<Dispatch> {
    let want = wg.gc * wg.xc * wg.k * wg.k;
    assert_eq!(
        dw.len(),
        want,
        "{label}: dw has {} elements, {wg:?} needs {want}",
        dw.len()
    );
    let (g4, x4, kxb) = (wg.gc.div_ceil(4), wg.xc.div_ceil(4), wg.k.div_ceil(4));
    let units = g4 * x4 * wg.k * kxb;
    // One invocation per pair of neighbouring g groups (see the shader).
    let invocations = g4.div_ceil(2) * x4 * wg.k * kxb;
    let (splits, rows) = splits(gpu, wg, units, invocations);
    let (gp, xp) = (&g.params, &x.params);
    let p = WeightParams {
        n: wg.n as u32,
        g4: g4 as u32,
        x4: x4 as u32,
        gh: wg.gh as u32,
        gw: wg.gw as u32,
        k: wg.k as u32,
        s: wg.stride as u32,
        kxb: kxb as u32,
        splits: splits as u32,
        rows: rows as u32,
        units: units as u32,
        invocations: invocations as u32,
        g_tile_w: gp.tile_w,
        g_tile_h: gp.tile_h,
        g_npl: gp.npl,
        g_top: gp.top,
        g_left: gp.left,
        x_tile_w: xp.tile_w,
        x_tile_h: xp.tile_h,
        x_npl: xp.npl,
        gc: wg.gc as u32,
        xc: wg.xc as u32,
    };
    let part = gpu.zeros(&[splits * units * PER_UNIT * 4]);
    vec![
        gpu.dispatch_bound(
            label,
            id::conv2d_geom_backward_weight,
            match wg.stride {
                1 => "s1",
                2 => "s2",
                _ => "any_stride",
            },
            &p,
            &[
                Bind::Texture(&g.view),
                Bind::Texture(&x.view),
                Bind::Tensor(&part),
            ],
            groups_1d(label, invocations * splits, BW_WG),
        ),
        gpu.dispatch(
            "conv2d_geom_backward_weight_reduce",
            id::conv2d_geom_backward_weight_reduce,
            "main",
            &p,
            &[&part, dw],
            grid_1d(want),
        ),
    ]
}

crate::uniform! {
    struct BiasParams for conv2d_geom_bias_backward {
        n: u32,
        c: u32,
        tile_w: u32,
        tile_h: u32,
        npl: u32,
    }
}

crate::bindings! {
    for conv2d_geom_backward_weight { gt: texture_read_2d_array, xt: texture_read_2d_array, part: read_write }
    for conv2d_geom_backward_weight_reduce { part: read, dw: read_write }
    for conv2d_geom_bias_backward { dyt: texture_read_2d_array, db: read_write }
}

/// db += the sum of dy over n, h, w, from dy packed (`c` channels).
pub(super) fn bias_grad(gpu: &Gpu, c: usize, dy: &PackedInput, db: &GpuTensor) -> Dispatch {
    assert_eq!(
        db.len(),
        c,
        "conv2d_geom_bias_backward: db has {} elements, {c} channels need {c}",
        db.len()
    );
    let dp = &dy.params;
    let p = BiasParams {
        n: dp.n,
        c: c as u32,
        tile_w: dp.tile_w,
        tile_h: dp.tile_h,
        npl: dp.npl,
    };
    gpu.dispatch_bound(
        "conv2d_geom_bias_backward",
        id::conv2d_geom_bias_backward,
        "main",
        &p,
        &[Bind::Texture(&dy.view), Bind::Tensor(db)],
        [c.div_ceil(4) as u32, 1, 1],
    )
}
