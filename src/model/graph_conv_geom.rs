//! Convolutions of general geometry on the tape: strided Conv2d (downsampling) and
//! ConvTranspose2d (upsampling), each with an optional bias (`kernels::conv2d::geometry`,
//! `kernels::conv2d::transpose`). Backward computes only the gradients that have buffers:
//! an input with `grad: None` gets no dx, and likewise for the weight and the bias.

use super::graph::{Graph, Var};
use crate::gpu::{Dispatch, Gpu, GpuTensor};
use crate::kernels::conv2d::{
    Conv2dGeom, ConvTranspose2dShape, ConvTransposePlan, StridedConvPlan,
};

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
        let (xs, ws) = (x.shape(), w.shape());
        check_ranks("conv2d_strided", xs, ws);
        assert_eq!(
            ws[1], xs[1],
            "conv2d_strided: weight has {} input channels, input has {}",
            ws[1], xs[1]
        );
        let s = Conv2dGeom {
            n: xs[0],
            cin: xs[1],
            cout: ws[0],
            h: xs[2],
            w: xs[3],
            k: ws[2],
            stride,
            pad,
        };
        let plan = StridedConvPlan::new(self.gpu, &s, self.train);
        let out = [s.n, s.cout, s.out_h(), s.out_w()];
        let (f, bw) = (StridedConvPlan::forward, StridedConvPlan::backward);
        self.gather_conv(x, w, b, out, plan, f, bw)
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
        let (xs, ws) = (x.shape(), w.shape());
        check_ranks("conv_transpose2d", xs, ws);
        assert_eq!(
            ws[0], xs[1],
            "conv_transpose2d: weight [cin, cout, k, k] has {} input channels, input has {}",
            ws[0], xs[1]
        );
        let s = ConvTranspose2dShape {
            n: xs[0],
            cin: xs[1],
            cout: ws[1],
            h: xs[2],
            w: xs[3],
            k: ws[2],
            stride,
            pad,
            output_pad,
        };
        let plan = ConvTransposePlan::new(self.gpu, &s, self.train);
        let out = [s.n, s.cout, s.out_h(), s.out_w()];
        let (f, bw) = (ConvTransposePlan::forward, ConvTransposePlan::backward);
        self.gather_conv(x, w, b, out, plan, f, bw)
    }

    /// Records one gather conv: `forward` writes y (shape `out`) from the packed x and w;
    /// `backward` adds dx, dw, db where they have buffers. Both plans share this shape.
    fn gather_conv<P: 'static>(
        &mut self,
        x: &Var,
        w: &Var,
        b: Option<&Var>,
        out: [usize; 4],
        plan: P,
        forward: ForwardFn<P>,
        backward: BackwardFn<P>,
    ) -> Var {
        let y = self.var(&out);
        let bv = b.map(|b| &b.val);
        self.fwd
            .extend(forward(&plan, self.gpu, &x.val, &w.val, bv, &y.val));
        let (x, w, b, yg) = (x.clone(), w.clone(), b.cloned(), y.grad.clone());
        self.record(move |gpu, p| {
            let dy = yg.unwrap();
            let db = b.as_ref().and_then(|b| b.grad.as_ref());
            let (dx, dw) = (x.grad.as_ref(), w.grad.as_ref());
            p.extend(backward(&plan, gpu, &w.val, &dy, dx, dw, db));
        });
        y
    }
}

/// A plan's forward: (gpu, x, w, bias, y).
type ForwardFn<P> =
    fn(&P, &Gpu, &GpuTensor, &GpuTensor, Option<&GpuTensor>, &GpuTensor) -> Vec<Dispatch>;

/// A plan's backward: (gpu, w, dy, dx, dw, db), each gradient only where given.
type BackwardFn<P> = fn(
    &P,
    &Gpu,
    &GpuTensor,
    &GpuTensor,
    Option<&GpuTensor>,
    Option<&GpuTensor>,
    Option<&GpuTensor>,
) -> Vec<Dispatch>;

fn check_ranks(what: &str, xs: &[usize], ws: &[usize]) {
    assert!(
        xs.len() == 4 && ws.len() == 4 && ws[2] == ws[3],
        "{what}: need x [n, c, h, w] and a square weight [_, _, k, k], got {xs:?} and {ws:?}"
    );
}
