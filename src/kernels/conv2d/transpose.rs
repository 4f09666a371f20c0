//! ConvTranspose2d, PyTorch semantics: weights [cin, cout, k, k], a stride, padding and
//! output padding; out H = (H - 1)*stride - 2*pad + k + output_pad.
//!
//! The forward pass is the transposed gather of `conv2d_geom.wgsl` (each output visits only
//! the taps that meet an input pixel); backward-input is the strided gather of dy with the
//! same weights read as [cout', cin'] = [cin, cout]; the weight gradient is
//! `conv2d_geom_backward_weight` with the roles of x and dy swapped. The launchers are
//! those of [`GeneralConv`].

use super::general::{op, GeneralConv, Op};
use super::GatherPlan;

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
    /// The transposed conv of `[n, cin, cout, h, w, k]` with `stride`, `pad` and
    /// `output_pad`.
    pub fn new(dims: [usize; 6], stride: usize, pad: usize, output_pad: usize) -> Self {
        let [n, cin, cout, h, w, k] = dims;
        ConvTranspose2dShape {
            n,
            cin,
            cout,
            h,
            w,
            k,
            stride,
            pad,
            output_pad,
        }
    }

    /// Multiply-adds count twice: 2*N*Cin*H*W*Cout*k*k (every input pixel meets every tap;
    /// the padding crops a few products away).
    pub fn flops(&self) -> f64 {
        let taps = self.cout * self.k * self.k;
        2.0 * (self.n * self.cin * self.h * self.w * taps) as f64
    }
}

impl GeneralConv for ConvTranspose2dShape {
    const OP: Op = op!("conv_transpose2d", transposed: true);

    fn dims(&self) -> [usize; 8] {
        let s = self;
        [s.n, s.cin, s.cout, s.h, s.w, s.k, s.stride, s.pad]
    }

    fn out_len(&self, len: usize) -> usize {
        ((len - 1) * self.stride + self.k + self.output_pad).saturating_sub(2 * self.pad)
    }

    fn check_op(&self, what: &str) {
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
}

/// The plan of a transposed-conv layer: the gathers' textures.
pub type ConvTransposePlan = GatherPlan<ConvTranspose2dShape>;
