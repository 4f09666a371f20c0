//! Convolutions on the tape. A conv reads its input through a texture that it packs first
//! (`kernels::conv2d`), so the ConvBlock's time-embedding add and the up blocks' skip concat
//! happen inside that packing pass (`conv2d_input`) instead of in passes of their own.

use crate::kernels::broadcast_add;
use crate::kernels::conv2d::{Conv2dShape, ConvPlan, PackSource};
use crate::model::graph::{Graph, Var};

impl Graph<'_> {
    pub fn conv2d(&mut self, x: &Var, w: &Var, b: &Var) -> Var {
        let s = self.conv_shape(x.shape(), w);
        let y = self.var(&[s.n, s.cout, s.h, s.w]);
        let plan = ConvPlan::new(self.gpu, &s, self.train);
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
        let plan = ConvPlan::new(self.gpu, &s, self.train);
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
        self.fwd
            .extend(plan.forward_from(self.gpu, src, &w.val, &bias.val, &y.val));
        if !self.train {
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
}
