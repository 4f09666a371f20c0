//! Conv2d of any geometry, PyTorch semantics: k x k taps, a stride, zero padding, an
//! optional bias; weights [cout, cin, k, k]; out H = (H + 2*pad - k) / stride + 1.
//!
//! Stride 1 with k = 3 or 1 and padding k/2 (the seed U-Net's convs) runs the dedicated
//! kernels of `conv2d.wgsl`. Everything else runs the strided gather of `conv2d_geom.wgsl`;
//! its backward-input is the transposed gather of dy (a strided conv's input gradient is the
//! transposed conv of dy), its weight gradient `conv2d_geom_backward_weight`, its bias
//! gradient `conv2d_geom_bias_backward`. The launchers are those of [`GeneralConv`].

use super::general::{op, GeneralConv, Op};
use super::{Conv2dShape, GatherPlan};

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
    /// The conv of `[n, cin, cout, h, w, k]` with `stride` and `pad`.
    pub fn new(dims: [usize; 6], stride: usize, pad: usize) -> Self {
        let [n, cin, cout, h, w, k] = dims;
        Conv2dGeom {
            n,
            cin,
            cout,
            h,
            w,
            k,
            stride,
            pad,
        }
    }

    /// Multiply-adds count twice: 2*N*Cout*OH*OW*Cin*k*k.
    pub fn flops(&self) -> f64 {
        let taps = self.cin * self.k * self.k;
        2.0 * (self.n * self.cout * self.out_h() * self.out_w() * taps) as f64
    }
}

impl GeneralConv for Conv2dGeom {
    const OP: Op = op!("conv2d_geom", transposed: false);

    fn dims(&self) -> [usize; 8] {
        let s = self;
        [s.n, s.cin, s.cout, s.h, s.w, s.k, s.stride, s.pad]
    }

    fn out_len(&self, len: usize) -> usize {
        (len + 2 * self.pad - self.k) / self.stride + 1
    }

    fn check_op(&self, what: &str) {
        assert!(
            self.h + 2 * self.pad >= self.k && self.w + 2 * self.pad >= self.k,
            "{what}: the padded {}x{} input is smaller than the {}x{} kernel",
            self.h + 2 * self.pad,
            self.w + 2 * self.pad,
            self.k,
            self.k
        );
    }

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
}

/// The plan of a strided conv layer: the dedicated kernels' [`ConvPlan`](super::ConvPlan)
/// where they apply, else the gathers' textures.
pub type StridedConvPlan = GatherPlan<Conv2dGeom>;
