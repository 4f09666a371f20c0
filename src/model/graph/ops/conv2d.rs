//! Convolutions on the tape. A conv reads its input through a texture that it packs first
//! (`kernels::conv2d`), so the ConvBlock's time-embedding add and the up blocks' skip concat
//! happen inside that packing pass (`conv2d_input`) instead of in passes of their own; the
//! edge convs (a 3x3 conv from at most 4 channels, a 1x1 conv to at most 4) pack nothing and
//! read x, or x + the added value, from the buffers. Where
//! that input needs no gradient (x_t in training), its backward computes only what the added
//! value needs, the input gradient's sum over the pixels (`conv2d_backward_input_sum`).
//!
//! Convolutions of general geometry: strided Conv2d (downsampling) and ConvTranspose2d
//! (upsampling), each with an optional bias (`kernels::conv2d::geometry`,
//! `kernels::conv2d::transpose`). Their backward computes only the gradients that have
//! buffers: an input with `grad: None` gets no dx, and likewise for the weight and the bias.

use crate::kernels::broadcast_add;
use crate::kernels::conv2d::{
    conv2d_backward_input_sum, Conv2dGeom, Conv2dShape, ConvPlan, ConvTranspose2dShape, GatherPlan,
    GeneralConv, PackSource,
};
use crate::model::graph::{Graph, Var};

impl Graph<'_> {
    pub fn conv2d(&mut self, x: &Var, w: &Var, b: &Var) -> Var {
        let s = self.conv_shape(x.shape(), w);
        let y = self.var(&[s.n, s.cout, s.h, s.w]);
        let plan = ConvPlan::for_input(self.gpu, &s, &x.val, self.train);
        self.fwd
            .extend(plan.forward(self.gpu, &x.val, &w.val, &b.val, &y.val));
        let (x, w, b, yg) = (x.clone(), w.clone(), b.clone(), y.grad.clone());
        self.record(move |gpu, p| {
            let dy = yg.unwrap();
            p.extend(plan.backward(
                gpu,
                &w.val,
                &dy,
                x.grad.as_ref(),
                Some(&w.g()),
                Some(&b.g()),
            ));
        });
        y
    }

    /// conv(cat(a, b) + v) with v [n, c] broadcast over the pixels; without `b`,
    /// conv(a + v). The add and the concat are read inside the conv's packing pass.
    pub fn conv2d_input(&mut self, a: &Var, b: Option<&Var>, v: &Var, w: &Var, bias: &Var) -> Var {
        let sa = a.shape().to_vec();
        let cb = b.map_or(0, |b| b.shape()[1]);
        if let Some(b) = b {
            assert!(
                b.shape()[0] == sa[0] && b.shape()[2..] == sa[2..],
                "conv2d_input: shapes {sa:?} and {:?} differ beyond channels",
                b.shape()
            );
        }
        let xs = [sa[0], sa[1] + cb, sa[2], sa[3]];
        assert_eq!(
            v.shape(),
            &xs[..2],
            "conv2d_input: the added value must be [n, c] = {:?}",
            &xs[..2]
        );
        let s = self.conv_shape(&xs, w);
        let y = self.var(&[s.n, s.cout, s.h, s.w]);
        let src = match b {
            Some(b) => PackSource::CatAdd {
                a: &a.val,
                b: &b.val,
                v: &v.val,
            },
            None => PackSource::Add {
                x: &a.val,
                v: &v.val,
            },
        };
        let plan = ConvPlan::for_source(self.gpu, &s, src, self.train);
        self.fwd
            .extend(plan.forward_from(self.gpu, src, &w.val, &bias.val, &y.val));
        if !self.train {
            return y;
        }
        if a.grad.is_none() && b.is_none() {
            // Nothing reads the input's own gradient (the first block's x_t in training):
            // the added value's gradient, its sum over the pixels, comes straight from dy.
            let (w, bias, yg, dv) = (w.clone(), bias.clone(), y.grad.clone(), v.grad.clone());
            self.record(move |gpu, p| {
                let dy = yg.unwrap();
                p.extend(plan.backward(gpu, &w.val, &dy, None, Some(&w.g()), Some(&bias.g())));
                if let Some(dv) = &dv {
                    p.extend(conv2d_backward_input_sum(gpu, &plan.s, &w.val, &dy, dv));
                }
            });
            return y;
        }
        // The gradient of the packed input, which is never stored, then in one pass its
        // split into the add's two inputs (and the concat's two).
        let (n, c, hw) = (xs[0], xs[1], xs[2] * xs[3]);
        let dh = self.scratch_grad(&xs);
        let dv = self.grad_or_scratch(v);
        let da = self.grad_or_scratch(a);
        let db = b.map(|b| self.grad_or_scratch(b));
        let (w, bias, yg) = (w.clone(), bias.clone(), y.grad.clone());
        self.record(move |gpu, p| {
            let dy = yg.unwrap();
            p.extend(plan.backward(gpu, &w.val, &dy, Some(&dh), Some(&w.g()), Some(&bias.g())));
            p.extend(match &db {
                Some(db) => {
                    let ca = c - db.len() / (n * hw);
                    broadcast_add::broadcast_add_backward_split(
                        gpu, n, c, ca, hw, &dh, &da, db, &dv,
                    )
                }
                None => broadcast_add::broadcast_add_backward(gpu, n, c, hw, &dh, &da, &dv),
            });
        });
        y
    }

    fn conv_shape(&self, xs: &[usize], w: &Var) -> Conv2dShape {
        let ws = w.shape();
        assert_eq!(
            ws[1], xs[1],
            "conv2d: weight has {} input channels, input has {}",
            ws[1], xs[1]
        );
        Conv2dShape {
            n: xs[0],
            cin: xs[1],
            cout: ws[0],
            h: xs[2],
            w: xs[3],
            k: ws[2],
        }
    }

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
