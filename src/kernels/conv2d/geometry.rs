//! Conv2d of any geometry, PyTorch semantics: k x k taps, a stride, zero padding, an
//! optional bias; weights [cout, cin, k, k]; out H = (H + 2*pad - k) / stride + 1.
//!
//! Stride 1 with k = 3 or 1 and padding k/2 (the seed U-Net's convs) runs the dedicated
//! kernels of `conv2d.wgsl` through a [`ConvPlan`]. Everything else runs the strided gather
//! of `conv2d_geom.wgsl`; its backward-input is the transposed gather of dy (a strided
//! conv's input gradient is the transposed conv of dy), its weight gradient
//! `conv2d_geom_backward_weight`, its bias gradient `conv2d_geom_bias_backward`.

use super::gather::{gather, Gather, Out};
use super::geom_weight::{bias_grad, weight_grad, WeightGrad};
use super::{backward_weight_packed, conv_packed, Conv2dShape, ConvPlan};
use super::{PackedInput, PackedWeights, WeightMode};
use crate::gpu::{Dispatch, Gpu, GpuTensor};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dGeom {
    pub n: usize,
    pub cin: usize,
    pub cout: usize,
    pub h: usize,
    pub w: usize,
    pub k: usize,
    pub stride: usize,
    pub pad: usize,
}

impl Conv2dGeom {
    pub fn out_h(&self) -> usize {
        (self.h + 2 * self.pad - self.k) / self.stride + 1
    }

    pub fn out_w(&self) -> usize {
        (self.w + 2 * self.pad - self.k) / self.stride + 1
    }

    /// Multiply-adds count twice: 2*N*Cout*OH*OW*Cin*k*k.
    pub fn flops(&self) -> f64 {
        let taps = self.cin * self.k * self.k;
        2.0 * (self.n * self.cout * self.out_h() * self.out_w() * taps) as f64
    }

    pub fn x_len(&self) -> usize {
        self.n * self.cin * self.h * self.w
    }

    pub fn y_len(&self) -> usize {
        self.n * self.cout * self.out_h() * self.out_w()
    }

    pub fn w_len(&self) -> usize {
        self.cout * self.cin * self.k * self.k
    }

    fn check(&self, what: &str) {
        assert!(
            self.n > 0 && self.cin > 0 && self.cout > 0 && self.h > 0 && self.w > 0,
            "{what}: every dimension must be positive: {self:?}"
        );
        assert!(
            self.k > 0 && self.stride > 0,
            "{what}: kernel size and stride must be positive: {self:?}"
        );
        assert!(
            self.pad < self.k,
            "{what}: padding {} must be under the kernel size {}",
            self.pad,
            self.k
        );
        assert!(
            self.h + 2 * self.pad >= self.k && self.w + 2 * self.pad >= self.k,
            "{what}: the padded {}x{} input is smaller than the {}x{} kernel",
            self.h + 2 * self.pad,
            self.w + 2 * self.pad,
            self.k,
            self.k
        );
    }

    /// The shape of the dedicated stride-1 kernels, where they apply.
    fn fast(&self) -> Option<Conv2dShape> {
        let same = self.stride == 1 && (self.k == 3 || self.k == 1) && self.pad == self.k / 2;
        same.then_some(Conv2dShape {
            n: self.n,
            cin: self.cin,
            cout: self.cout,
            h: self.h,
            w: self.w,
            k: self.k,
        })
    }

    fn forward_gather(&self) -> Gather {
        Gather {
            n: self.n,
            cin: self.cin,
            cout: self.cout,
            h: self.h,
            w: self.w,
            oh: self.out_h(),
            ow: self.out_w(),
            k: self.k,
            stride: self.stride,
            pad: self.pad,
            transposed: false,
        }
    }

    /// dx as the transposed gather of dy back to h x w (the rows a stride skips get only
    /// the border's zeros).
    fn backward_gather(&self) -> Gather {
        Gather {
            cin: self.cout,
            cout: self.cin,
            h: self.out_h(),
            w: self.out_w(),
            oh: self.h,
            ow: self.w,
            transposed: true,
            ..self.forward_gather()
        }
    }

    fn weight_grad(&self) -> WeightGrad {
        WeightGrad {
            n: self.n,
            gc: self.cout,
            xc: self.cin,
            gh: self.out_h(),
            gw: self.out_w(),
            k: self.k,
            stride: self.stride,
        }
    }
}

#[track_caller]
fn expect_len(what: &str, name: &str, t: &GpuTensor, want: usize, s: &Conv2dGeom) {
    assert_eq!(
        t.len(),
        want,
        "{what}: {name} has {} elements, shape {s:?} needs {want}",
        t.len()
    );
}

/// One strided conv layer's textures, made once when the layer is recorded (as
/// [`ConvPlan`], which the stride-1 k = 3 / k = 1 geometries use).
pub struct StridedConvPlan {
    pub s: Conv2dGeom,
    path: Path,
}

enum Path {
    Fast(ConvPlan),
    Gather {
        x: PackedInput,
        w: PackedWeights,
        /// Training: dy packed for the transposed gather, also read by the weight gradient.
        dy: Option<PackedInput>,
        wt: Option<PackedWeights>,
    },
}

impl StridedConvPlan {
    pub fn new(gpu: &Gpu, s: &Conv2dGeom, train: bool) -> StridedConvPlan {
        s.check("conv2d_geom");
        let path = match s.fast() {
            Some(f) => Path::Fast(ConvPlan::new(gpu, &f, train)),
            None => {
                let (fg, bg) = (s.forward_gather(), s.backward_gather());
                Path::Gather {
                    x: fg.input(gpu),
                    w: fg.weights(gpu, WeightMode::Forward),
                    dy: train.then(|| bg.input(gpu)),
                    wt: train.then(|| bg.weights(gpu, WeightMode::Swapped)),
                }
            }
        };
        StridedConvPlan { s: *s, path }
    }

    /// y = conv(x, w) (+ b): x [n,cin,h,w], w [cout,cin,k,k], b [cout], y [n,cout,oh,ow].
    pub fn forward(
        &self,
        gpu: &Gpu,
        x: &GpuTensor,
        w: &GpuTensor,
        b: Option<&GpuTensor>,
        y: &GpuTensor,
    ) -> Vec<Dispatch> {
        let (what, s) = ("conv2d_geom", &self.s);
        expect_len(what, "x", x, s.x_len(), s);
        expect_len(what, "w", w, s.w_len(), s);
        expect_len(what, "y", y, s.y_len(), s);
        if let Some(b) = b {
            expect_len(what, "b", b, s.cout, s);
        }
        assert!(!y.overlaps(x), "{what}: y must not overlap x");
        match &self.path {
            Path::Fast(plan) => match b {
                Some(b) => plan.forward(gpu, x, w, b, y),
                // The k = 3 / k = 1 kernels always add a bias: give them zeros.
                None => plan.forward(gpu, x, w, &gpu.zeros(&[s.cout]), y),
            },
            Path::Gather { x: xp, w: wp, .. } => {
                let out = b.map_or(Out::Overwrite, Out::Bias);
                let mut ds = vec![xp.pack(gpu, x), wp.pack(gpu, w)];
                ds.extend(gather(gpu, what, &s.forward_gather(), xp, wp, out, w, y));
                ds
            }
        }
    }

    /// dx += conv_transpose(dy, w), dw += dy (x) x, db += sum dy, each only where given.
    /// Reads x as the forward pass packed it: record after `forward`, with x unchanged.
    pub fn backward(
        &self,
        gpu: &Gpu,
        w: &GpuTensor,
        dy: &GpuTensor,
        dx: Option<&GpuTensor>,
        dw: Option<&GpuTensor>,
        db: Option<&GpuTensor>,
    ) -> Vec<Dispatch> {
        let (what, s) = ("conv2d_geom backward", &self.s);
        expect_len(what, "w", w, s.w_len(), s);
        expect_len(what, "dy", dy, s.y_len(), s);
        if let Some(dx) = dx {
            expect_len(what, "dx", dx, s.x_len(), s);
            assert!(!dx.overlaps(dy), "{what}: dx must not overlap dy");
        }
        if let Some(dw) = dw {
            expect_len(what, "dw", dw, s.w_len(), s);
        }
        if let Some(db) = db {
            expect_len(what, "db", db, s.cout, s);
        }
        match &self.path {
            Path::Fast(plan) => fast_backward(gpu, plan, w, dy, dx, dw, db),
            Path::Gather { x, dy: dyp, wt, .. } => {
                let (dyp, wt) = match (dyp, wt) {
                    (Some(d), Some(t)) => (d, t),
                    _ => panic!("{what}: the plan was made without training textures"),
                };
                let mut out = vec![dyp.pack(gpu, dy)];
                if let Some(dx) = dx {
                    let bg = s.backward_gather();
                    out.push(wt.pack(gpu, w));
                    let label = "conv2d_geom_backward_input";
                    out.extend(gather(gpu, label, &bg, dyp, wt, Out::Accumulate, w, dx));
                }
                if let Some(dw) = dw {
                    let label = "conv2d_geom_backward_weight";
                    out.extend(weight_grad(gpu, label, &s.weight_grad(), dyp, x, dw));
                }
                if let Some(db) = db {
                    out.push(bias_grad(gpu, s.cout, dyp, db));
                }
                out
            }
        }
    }
}

/// Backward of the k = 3 / k = 1 kernels for the gradients asked for. Their weight pass
/// writes dw and db together; a missing one gets a scratch buffer that nothing reads.
fn fast_backward(
    gpu: &Gpu,
    plan: &ConvPlan,
    w: &GpuTensor,
    dy: &GpuTensor,
    dx: Option<&GpuTensor>,
    dw: Option<&GpuTensor>,
    db: Option<&GpuTensor>,
) -> Vec<Dispatch> {
    let s = &plan.s;
    let (dyp, wt) = match (&plan.dy, &plan.wt) {
        (Some(d), Some(t)) => (d, t),
        _ => panic!("conv2d_geom backward: the plan was made without training textures"),
    };
    let mut out = vec![dyp.pack(gpu, dy)];
    if let Some(dx) = dx {
        out.push(wt.pack(gpu, w));
        out.push(conv_packed(gpu, &s.transposed(), dyp, wt, None, dx));
    }
    if dw.is_some() || db.is_some() {
        let dw = dw.cloned().unwrap_or_else(|| gpu.zeros(&[s.w_len()]));
        let db = db.cloned().unwrap_or_else(|| gpu.zeros(&[s.cout]));
        out.extend(backward_weight_packed(gpu, s, &plan.x, dyp, &dw, &db));
    }
    out
}

/// y = conv(x, w) (+ b), packing included.
pub fn conv2d_geom(
    gpu: &Gpu,
    s: &Conv2dGeom,
    x: &GpuTensor,
    w: &GpuTensor,
    b: Option<&GpuTensor>,
    y: &GpuTensor,
) -> Vec<Dispatch> {
    StridedConvPlan::new(gpu, s, false).forward(gpu, x, w, b, y)
}

/// dx += conv_transpose(dy, w), packing included.
pub fn conv2d_geom_backward_input(
    gpu: &Gpu,
    s: &Conv2dGeom,
    w: &GpuTensor,
    dy: &GpuTensor,
    dx: &GpuTensor,
) -> Vec<Dispatch> {
    let what = "conv2d_geom_backward_input";
    s.check(what);
    if let Some(f) = s.fast() {
        return super::conv2d_backward_input(gpu, &f, w, dy, dx);
    }
    expect_len(what, "w", w, s.w_len(), s);
    expect_len(what, "dy", dy, s.y_len(), s);
    expect_len(what, "dx", dx, s.x_len(), s);
    assert!(!dx.overlaps(dy), "{what}: dx must not overlap dy");
    let bg = s.backward_gather();
    let dyp = bg.input(gpu);
    let wt = bg.weights(gpu, WeightMode::Swapped);
    let mut ds = vec![dyp.pack(gpu, dy), wt.pack(gpu, w)];
    ds.extend(gather(gpu, what, &bg, &dyp, &wt, Out::Accumulate, w, dx));
    ds
}

/// dw += sum over n, oh, ow of dy * x-patch, db += sum of dy (if given), packing included.
/// Deterministic: split partial sums, added in a fixed order.
pub fn conv2d_geom_backward_weight(
    gpu: &Gpu,
    s: &Conv2dGeom,
    x: &GpuTensor,
    dy: &GpuTensor,
    dw: &GpuTensor,
    db: Option<&GpuTensor>,
) -> Vec<Dispatch> {
    let what = "conv2d_geom_backward_weight";
    s.check(what);
    expect_len(what, "x", x, s.x_len(), s);
    expect_len(what, "dy", dy, s.y_len(), s);
    expect_len(what, "dw", dw, s.w_len(), s);
    if let Some(f) = s.fast() {
        let scratch;
        let db = match db {
            Some(db) => db,
            None => {
                scratch = gpu.zeros(&[s.cout]);
                &scratch
            }
        };
        return super::conv2d_backward_weight(gpu, &f, x, dy, dw, db);
    }
    let xp = s.forward_gather().input(gpu);
    let dyp = s.backward_gather().input(gpu);
    let mut out = vec![xp.pack(gpu, x), dyp.pack(gpu, dy)];
    out.extend(weight_grad(gpu, what, &s.weight_grad(), &dyp, &xp, dw));
    if let Some(db) = db {
        expect_len(what, "db", db, s.cout, s);
        out.push(bias_grad(gpu, s.cout, &dyp, db));
    }
    out
}
