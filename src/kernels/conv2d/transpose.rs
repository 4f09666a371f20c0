//! ConvTranspose2d, PyTorch semantics: weights [cin, cout, k, k], a stride, padding and
//! output padding; out H = (H - 1)*stride - 2*pad + k + output_pad.
//!
//! The forward pass is the transposed gather of `conv2d_geom.wgsl` (each output visits only
//! the taps that meet an input pixel); backward-input is the strided gather of dy with the
//! same weights read as [cout', cin'] = [cin, cout]; the weight gradient is
//! `conv2d_geom_backward_weight` with the roles of x and dy swapped.

use super::gather::{gather, Gather, Out};
use super::geom_weight::{bias_grad, weight_grad, WeightGrad};
use super::{PackedInput, PackedWeights, WeightMode};
use crate::gpu::{Dispatch, Gpu, GpuTensor};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvTranspose2dShape {
    pub n: usize,
    pub cin: usize,
    pub cout: usize,
    pub h: usize,
    pub w: usize,
    pub k: usize,
    pub stride: usize,
    pub pad: usize,
    pub output_pad: usize,
}

impl ConvTranspose2dShape {
    pub fn out_h(&self) -> usize {
        ((self.h - 1) * self.stride + self.k + self.output_pad).saturating_sub(2 * self.pad)
    }

    pub fn out_w(&self) -> usize {
        ((self.w - 1) * self.stride + self.k + self.output_pad).saturating_sub(2 * self.pad)
    }

    /// Multiply-adds count twice: 2*N*Cin*H*W*Cout*k*k (every input pixel meets every tap;
    /// the padding crops a few products away).
    pub fn flops(&self) -> f64 {
        let taps = self.cout * self.k * self.k;
        2.0 * (self.n * self.cin * self.h * self.w * taps) as f64
    }

    pub fn x_len(&self) -> usize {
        self.n * self.cin * self.h * self.w
    }

    pub fn y_len(&self) -> usize {
        self.n * self.cout * self.out_h() * self.out_w()
    }

    pub fn w_len(&self) -> usize {
        self.cin * self.cout * self.k * self.k
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
            self.output_pad < self.stride,
            "{what}: output padding {} must be under the stride {}",
            self.output_pad,
            self.stride
        );
        assert!(
            self.out_h() > 0 && self.out_w() > 0,
            "{what}: {self:?} has an empty output"
        );
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
            transposed: true,
        }
    }

    /// dx as the strided gather of dy (padded by `pad`) back to h x w.
    fn backward_gather(&self) -> Gather {
        Gather {
            cin: self.cout,
            cout: self.cin,
            h: self.out_h(),
            w: self.out_w(),
            oh: self.h,
            ow: self.w,
            transposed: false,
            ..self.forward_gather()
        }
    }

    /// dw[ci][co][ky][kx] = sum of x[ci][ih][iw] * dy[co][ih*s - pad + ky][iw*s - pad + kx]:
    /// the weight-gradient formula with g = x and dy in the role of the conv input.
    fn weight_grad(&self) -> WeightGrad {
        WeightGrad {
            n: self.n,
            gc: self.cin,
            xc: self.cout,
            gh: self.h,
            gw: self.w,
            k: self.k,
            stride: self.stride,
        }
    }
}

#[track_caller]
fn expect_len(what: &str, name: &str, t: &GpuTensor, want: usize, s: &ConvTranspose2dShape) {
    assert_eq!(
        t.len(),
        want,
        "{what}: {name} has {} elements, shape {s:?} needs {want}",
        t.len()
    );
}

/// One transposed-conv layer's textures, made once when the layer is recorded.
pub struct ConvTransposePlan {
    pub s: ConvTranspose2dShape,
    x: PackedInput,
    w: PackedWeights,
    /// Training: dy packed for the strided gather, also read by the weight gradient.
    dy: Option<PackedInput>,
    wt: Option<PackedWeights>,
}

impl ConvTransposePlan {
    pub fn new(gpu: &Gpu, s: &ConvTranspose2dShape, train: bool) -> ConvTransposePlan {
        s.check("conv_transpose2d");
        let (fg, bg) = (s.forward_gather(), s.backward_gather());
        ConvTransposePlan {
            s: *s,
            x: fg.input(gpu),
            w: fg.weights(gpu, WeightMode::Swapped),
            dy: train.then(|| bg.input(gpu)),
            wt: train.then(|| bg.weights(gpu, WeightMode::Forward)),
        }
    }

    /// y = conv_transpose(x, w) (+ b): x [n,cin,h,w], w [cin,cout,k,k], b [cout],
    /// y [n,cout,oh,ow].
    pub fn forward(
        &self,
        gpu: &Gpu,
        x: &GpuTensor,
        w: &GpuTensor,
        b: Option<&GpuTensor>,
        y: &GpuTensor,
    ) -> Vec<Dispatch> {
        let (what, s) = ("conv_transpose2d", &self.s);
        expect_len(what, "x", x, s.x_len(), s);
        expect_len(what, "w", w, s.w_len(), s);
        expect_len(what, "y", y, s.y_len(), s);
        if let Some(b) = b {
            expect_len(what, "b", b, s.cout, s);
        }
        assert!(!y.overlaps(x), "{what}: y must not overlap x");
        let out = b.map_or(Out::Overwrite, Out::Bias);
        let mut ds = vec![self.x.pack(gpu, x), self.w.pack(gpu, w)];
        ds.extend(gather(
            gpu,
            what,
            &s.forward_gather(),
            &self.x,
            &self.w,
            out,
            w,
            y,
        ));
        ds
    }

    /// dx += conv(dy, w) (strided), dw += x (x) dy, db += sum dy, each only where given.
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
        let (what, s) = ("conv_transpose2d backward", &self.s);
        let (dyp, wt) = match (&self.dy, &self.wt) {
            (Some(d), Some(t)) => (d, t),
            _ => panic!("{what}: the plan was made without training textures"),
        };
        expect_len(what, "w", w, s.w_len(), s);
        expect_len(what, "dy", dy, s.y_len(), s);
        let mut out = vec![dyp.pack(gpu, dy)];
        if let Some(dx) = dx {
            expect_len(what, "dx", dx, s.x_len(), s);
            assert!(!dx.overlaps(dy), "{what}: dx must not overlap dy");
            out.push(wt.pack(gpu, w));
            let label = "conv_transpose2d_backward_input";
            let bg = s.backward_gather();
            out.extend(gather(gpu, label, &bg, dyp, wt, Out::Accumulate, w, dx));
        }
        if let Some(dw) = dw {
            let label = "conv_transpose2d_backward_weight";
            out.extend(weight_grad(gpu, label, &s.weight_grad(), &self.x, dyp, dw));
        }
        if let Some(db) = db {
            expect_len(what, "db", db, s.cout, s);
            out.push(bias_grad(gpu, s.cout, dyp, db));
        }
        out
    }
}

/// y = conv_transpose(x, w) (+ b), packing included.
pub fn conv_transpose2d(
    gpu: &Gpu,
    s: &ConvTranspose2dShape,
    x: &GpuTensor,
    w: &GpuTensor,
    b: Option<&GpuTensor>,
    y: &GpuTensor,
) -> Vec<Dispatch> {
    ConvTransposePlan::new(gpu, s, false).forward(gpu, x, w, b, y)
}

/// dx += conv(dy, w) (the strided conv that ConvTranspose2d transposes), packing included.
pub fn conv_transpose2d_backward_input(
    gpu: &Gpu,
    s: &ConvTranspose2dShape,
    w: &GpuTensor,
    dy: &GpuTensor,
    dx: &GpuTensor,
) -> Vec<Dispatch> {
    let what = "conv_transpose2d_backward_input";
    s.check(what);
    expect_len(what, "w", w, s.w_len(), s);
    expect_len(what, "dy", dy, s.y_len(), s);
    expect_len(what, "dx", dx, s.x_len(), s);
    assert!(!dx.overlaps(dy), "{what}: dx must not overlap dy");
    let bg = s.backward_gather();
    let dyp = bg.input(gpu);
    let wt = bg.weights(gpu, WeightMode::Forward);
    let mut ds = vec![dyp.pack(gpu, dy), wt.pack(gpu, w)];
    ds.extend(gather(gpu, what, &bg, &dyp, &wt, Out::Accumulate, w, dx));
    ds
}

/// dw += sum over n, ih, iw of x * dy-patch, db += sum of dy (if given), packing included.
pub fn conv_transpose2d_backward_weight(
    gpu: &Gpu,
    s: &ConvTranspose2dShape,
    x: &GpuTensor,
    dy: &GpuTensor,
    dw: &GpuTensor,
    db: Option<&GpuTensor>,
) -> Vec<Dispatch> {
    let what = "conv_transpose2d_backward_weight";
    s.check(what);
    expect_len(what, "x", x, s.x_len(), s);
    expect_len(what, "dy", dy, s.y_len(), s);
    let xp = s.forward_gather().input(gpu);
    let dyp = s.backward_gather().input(gpu);
    let mut out = vec![xp.pack(gpu, x), dyp.pack(gpu, dy)];
    out.extend(weight_grad(gpu, what, &s.weight_grad(), &xp, &dyp, dw));
    if let Some(db) = db {
        expect_len(what, "db", db, s.cout, s);
        out.push(bias_grad(gpu, s.cout, &dyp, db));
    }
    out
}
