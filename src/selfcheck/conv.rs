//! The conv kernels: the stride-1 3x3 layer plan (input and weight packing, the texture conv,
//! its transposed conv for dx and the split weight-gradient reduction), the edge convs that
//! pack nothing, a strided conv and a transposed conv through the gather plans, each forward
//! and backward.

use super::compare::{bound, Probe};
use crate::gpu::GpuTensor;
use crate::kernels::conv2d::{
    conv2d_backward_cpu, conv2d_backward_input_sum, conv2d_backward_input_sum_cpu, conv2d_cpu,
    conv2d_geom_backward_cpu, conv2d_geom_cpu, conv_transpose2d_backward_cpu, conv_transpose2d_cpu,
    Conv2dGeom, Conv2dShape, ConvPlan, ConvTranspose2dShape, ConvTransposePlan, StridedConvPlan,
};

/// Host data and GPU tensors of one conv layer's run.
struct Layer {
    x: Vec<f32>,
    w: Vec<f32>,
    b: Vec<f32>,
    dy: Vec<f32>,
    dev: [GpuTensor; 8],
}

/// Random x, w, b, dy, and zeroed y, dx, dw, db on the GPU.
fn layer(p: &mut Probe, x_len: usize, w_len: usize, cout: usize, y_len: usize) -> Layer {
    let (x, xg) = p.filled(&[x_len]);
    let (w, wg) = p.filled(&[w_len]);
    let (b, bg) = p.filled(&[cout]);
    let (dy, dyg) = p.filled(&[y_len]);
    let zeros = [y_len, x_len, w_len, cout].map(|n| p.zeros(&[n]));
    let [y, dx, dw, db] = zeros;
    Layer {
        x,
        w,
        b,
        dy,
        dev: [xg, wg, bg, dyg, y, dx, dw, db],
    }
}

/// The reference's y and its (dx, dw, db), as the CPU references return them.
type Want = (Vec<f32>, (Vec<f32>, Vec<f32>, Vec<f32>));

/// Compares y, dx, dw and db with the reference; `taps` is cin*k*k (the forward sum),
/// `dx_terms` the input gradient's and `pixels` the weight gradient's (n * output pixels).
fn compare(p: &mut Probe, op: &str, l: &Layer, want: Want, [taps, dx_terms, pixels]: [usize; 3]) {
    let [_, _, _, _, y, dx, dw, db] = &l.dev;
    let (wy, (wx, ww, wb)) = want;
    p.check(&format!("{op} forward"), y, &wy, bound(taps, 0.0));
    p.check(&format!("{op} backward x"), dx, &wx, bound(dx_terms, 0.0));
    p.check(&format!("{op} backward w"), dw, &ww, bound(pixels, 0.0));
    p.check(&format!("{op} backward b"), db, &wb, bound(pixels, 0.0));
}

/// The stride-1 3x3 conv of the U-Net's blocks, with packing.
pub fn conv2d(p: &mut Probe) {
    let s = Conv2dShape {
        n: 2,
        cin: 5,
        cout: 7,
        h: 9,
        w: 11,
        k: 3,
    };
    let plane = s.h * s.w;
    let l = layer(
        p,
        s.n * s.cin * plane,
        s.cout * s.cin * 9,
        s.cout,
        s.n * s.cout * plane,
    );
    let [x, w, b, dy, y, dx, dw, db] = &l.dev;
    let plan = ConvPlan::new(p.gpu, &s, true);
    let mut ds = plan.forward(p.gpu, x, w, b, y);
    ds.extend(plan.backward(p.gpu, w, dy, Some(dx), Some(dw), Some(db)));
    p.run(ds);
    let want = (
        conv2d_cpu(&s, &l.x, &l.w, &l.b),
        conv2d_backward_cpu(&s, &l.x, &l.w, &l.dy),
    );
    compare(p, "conv2d", &l, want, [s.cin * 9, s.cout * 9, s.n * plane]);
}

/// The edge convs, which read the buffers themselves: a 3x3 conv from 2 channels (the thin
/// kernels; its input gradient is packed) and a 1x1 conv to 2 channels (the narrow ones),
/// forward and backward, and the first block's pixel-summed input gradient.
pub fn edges(p: &mut Probe) {
    let thin = Conv2dShape {
        n: 2,
        cin: 2,
        cout: 5,
        h: 5,
        w: 8,
        k: 3,
    };
    let narrow = Conv2dShape {
        n: 2,
        cin: 5,
        cout: 2,
        h: 3,
        w: 4,
        k: 1,
    };
    for (op, s) in [("conv2d_thin", thin), ("conv2d_narrow", narrow)] {
        let (plane, kk) = (s.h * s.w, s.k * s.k);
        let y_len = s.n * s.cout * plane;
        let l = layer(p, s.n * s.cin * plane, s.cout * s.cin * kk, s.cout, y_len);
        let [x, w, b, dy, y, dx, dw, db] = &l.dev;
        let plan = ConvPlan::for_input(p.gpu, &s, x, true);
        let mut ds = plan.forward(p.gpu, x, w, b, y);
        ds.extend(plan.backward(p.gpu, w, dy, Some(dx), Some(dw), Some(db)));
        p.run(ds);
        let want = (
            conv2d_cpu(&s, &l.x, &l.w, &l.b),
            conv2d_backward_cpu(&s, &l.x, &l.w, &l.dy),
        );
        compare(p, op, &l, want, [s.cin * kk, s.cout * kk, s.n * plane]);
        if s.k == 3 {
            let dv = p.zeros(&[s.n * s.cin]);
            p.run(conv2d_backward_input_sum(p.gpu, &s, w, dy, &dv));
            let want = conv2d_backward_input_sum_cpu(&s, &l.w, &l.dy);
            p.check(
                "conv2d_input_sum",
                &dv,
                &want,
                bound(s.cout * kk * plane, 0.0),
            );
        }
    }
}

/// The 4x4 stride-2 conv and transposed conv of seed 001's down and up blocks: the input
/// gradient of each is the other's forward, so they share their gather kernels.
pub fn geom_and_transpose(p: &mut Probe) {
    conv2d_geom(p);
    conv_transpose2d(p);
}

/// A 4x4 stride-2 conv (a downsampling layer) through the gather kernels.
fn conv2d_geom(p: &mut Probe) {
    let s = Conv2dGeom::new([2, 5, 7, 9, 11, 4], 2, 1);
    let (oh, ow) = (
        (s.h + 2 * s.pad - s.k) / 2 + 1,
        (s.w + 2 * s.pad - s.k) / 2 + 1,
    );
    let l = layer(
        p,
        s.n * s.cin * s.h * s.w,
        s.cout * s.cin * s.k * s.k,
        s.cout,
        s.n * s.cout * oh * ow,
    );
    let [x, w, b, dy, y, dx, dw, db] = &l.dev;
    let plan = StridedConvPlan::new(p.gpu, &s, true);
    let mut ds = plan.forward(p.gpu, x, w, Some(b), y);
    ds.extend(plan.backward(p.gpu, w, dy, Some(dx), Some(dw), Some(db)));
    p.run(ds);
    let want = (
        conv2d_geom_cpu(&s, &l.x, &l.w, Some(&l.b)),
        conv2d_geom_backward_cpu(&s, &l.x, &l.w, &l.dy),
    );
    let taps = s.cin * s.k * s.k;
    compare(
        p,
        "conv2d_geom",
        &l,
        want,
        [taps, s.cout * s.k * s.k, s.n * oh * ow],
    );
}

/// A 4x4 stride-2 transposed conv (an upsampling layer) through the gather kernels.
fn conv_transpose2d(p: &mut Probe) {
    let s = ConvTranspose2dShape::new([2, 5, 3, 5, 7, 4], 2, 1, 0);
    let (oh, ow) = (
        (s.h - 1) * 2 + s.k - 2 * s.pad,
        (s.w - 1) * 2 + s.k - 2 * s.pad,
    );
    let l = layer(
        p,
        s.n * s.cin * s.h * s.w,
        s.cin * s.cout * s.k * s.k,
        s.cout,
        s.n * s.cout * oh * ow,
    );
    let [x, w, b, dy, y, dx, dw, db] = &l.dev;
    let plan = ConvTransposePlan::new(p.gpu, &s, true);
    let mut ds = plan.forward(p.gpu, x, w, Some(b), y);
    ds.extend(plan.backward(p.gpu, w, dy, Some(dx), Some(dw), Some(db)));
    p.run(ds);
    let want = (
        conv_transpose2d_cpu(&s, &l.x, &l.w, Some(&l.b)),
        conv_transpose2d_backward_cpu(&s, &l.x, &l.w, &l.dy),
    );
    let taps = s.cin * s.k * s.k;
    compare(
        p,
        "conv_transpose2d",
        &l,
        want,
        [taps, s.cout * s.k * s.k, s.n * s.h * s.w],
    );
}
