//! Bilinear x2 upsampling on the tape.

use crate::kernels::upsample;
use crate::model::graph::{Graph, Var};

impl Graph<'_> {
    /// Bilinear x2 upsampling, align_corners = false (the seed U-Net).
    pub fn upsample(&mut self, x: &Var) -> Var {
        self.upsample_with(x, false)
    }

    /// Bilinear x2 upsampling with PyTorch's `align_corners`.
    pub fn upsample_with(&mut self, x: &Var, align_corners: bool) -> Var {
        let s = x.shape();
        let y = self.var(&[s[0], s[1], s[2] * 2, s[3] * 2]);
        self.fwd.push(upsample::upsample_with(
            self.gpu,
            &x.val,
            &y.val,
            align_corners,
        ));
        let yg = y.grad.clone();
        if let Some(dx) = x.grad.clone() {
            self.record(move |gpu, p| {
                p.push(upsample::upsample_backward_with(
                    gpu,
                    &yg.unwrap(),
                    &dx,
                    align_corners,
                ))
            });
        }
        y
    }
}
