//! A per-channel value added over the image plane, on the tape.

use crate::kernels::broadcast_add;
use crate::model::graph::{Graph, Var};

impl Graph<'_> {
    /// y[n, c, :, :] = x[n, c, :, :] + v[n, c]
    pub fn broadcast_add(&mut self, x: &Var, v: &Var) -> Var {
        let s = x.shape().to_vec();
        let (n, c, hw) = (s[0], s[1], s[2] * s[3]);
        let y = self.var(&s);
        self.fwd.push(broadcast_add::broadcast_add(
            self.gpu, n, c, hw, &x.val, &v.val, &y.val,
        ));
        if self.train && (x.grad.is_some() || v.grad.is_some()) {
            // One kernel writes both gradients.
            let (dx, dv) = (self.grad_or_scratch(x), self.grad_or_scratch(v));
            let yg = y.grad.clone();
            self.record(move |gpu, p| {
                let ds =
                    broadcast_add::broadcast_add_backward(gpu, n, c, hw, &yg.unwrap(), &dx, &dv);
                p.extend(ds);
            });
        }
        y
    }
}
