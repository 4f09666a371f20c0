//! Convolutions of general geometry on the tape: strided Conv2d (downsampling) and
//! ConvTranspose2d (upsampling), each with an optional bias (`kernels::conv2d::geometry`,
//! `kernels::conv2d::transpose`). Backward computes only the gradients that have buffers:
//! an input with `grad: None` gets no dx, and likewise for the weight and the bias.

use crate::kernels::conv2d::{Conv2dGeom, ConvTranspose2dShape, GatherPlan, GeneralConv};
use crate::model::graph::{Graph, Var};

impl Graph<'_> {
    /// Conv2d(x, w, b, stride, pad) as PyTorch: x [n, cin, h, w], w [cout, cin, k, k],
    /// b [cout]; out [n, cout, (h + 2*pad - k)/stride + 1, (w + 2*pad - k)/stride + 1].
    pub fn conv2d_strided(
        &mut self,
        x: &Var,
        w: &Var,
        b: Option<&Var>,
        stride: usize,
        pad: usize,
    ) -> Var {
        let s = Conv2dGeom::new(dims("conv2d_strided", x, w, 0), stride, pad);
        self.gather_conv(x, w, b, s)
    }

    /// ConvTranspose2d(x, w, b, stride, pad, output_pad) as PyTorch: x [n, cin, h, w],
    /// w [cin, cout, k, k], b [cout]; out [n, cout, (h-1)*stride - 2*pad + k + output_pad, ..].
    pub fn conv_transpose2d(
        &mut self,
        x: &Var,
        w: &Var,
        b: Option<&Var>,
        stride: usize,
        pad: usize,
        output_pad: usize,
    ) -> Var {
        let dims = dims("conv_transpose2d", x, w, 1);
        let s = ConvTranspose2dShape::new(dims, stride, pad, output_pad);
        self.gather_conv(x, w, b, s)
    }

    /// Records one gather conv of geometry `s`: the forward pass writes y; backward adds
    /// dx, dw, db where they have buffers. The plan's launchers check that w fits `s`.
    fn gather_conv<S: GeneralConv>(&mut self, x: &Var, w: &Var, b: Option<&Var>, s: S) -> Var {
        let plan = GatherPlan::new(self.gpu, &s, self.train);
        let [n, _, cout, ..] = s.dims();
        let y = self.var(&[n, cout, s.out_h(), s.out_w()]);
        let bv = b.map(|b| &b.val);
        self.fwd
            .extend(plan.forward(self.gpu, &x.val, &w.val, bv, &y.val));
        let (x, w, b, yg) = (x.clone(), w.clone(), b.cloned(), y.grad.clone());
        self.record(move |gpu, p| {
            let dy = yg.unwrap();
            let db = b.as_ref().and_then(|b| b.grad.as_ref());
            let (dx, dw) = (x.grad.as_ref(), w.grad.as_ref());
            p.extend(plan.backward(gpu, &w.val, &dy, dx, dw, db));
        });
        y
    }
}

/// [n, cin, cout, h, w, k] of x [n, cin, h, w] and a square weight whose output channels
/// are dimension `co` (0: [cout, cin, k, k], 1: [cin, cout, k, k]).
fn dims(what: &str, x: &Var, w: &Var, co: usize) -> [usize; 6] {
    let (xs, ws) = (x.shape(), w.shape());
    assert!(
        xs.len() == 4 && ws.len() == 4 && ws[2] == ws[3],
        "{what}: need x [n, c, h, w] and a square weight [_, _, k, k], got {xs:?} and {ws:?}"
    );
    [xs[0], xs[1], ws[co], xs[2], xs[3], ws[2]]
}
