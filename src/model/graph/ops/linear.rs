//! nn.Linear on the tape.

use crate::kernels::linear;
use crate::model::graph::{Graph, Var};

impl Graph<'_> {
    /// y = x w^T + b over the last dimension of x (rank >= 2; the leading dimensions are
    /// rows): [.., k] -> [.., n].
    pub fn linear(&mut self, x: &Var, w: &Var, b: &Var) -> Var {
        let mut shape = x.shape().to_vec();
        if let Some(last) = shape.last_mut() {
            *last = w.shape()[0];
        }
        let y = self.var(&shape);
        self.fwd
            .push(linear::linear(self.gpu, &x.val, &w.val, &b.val, &y.val));
        let (x, w, b, yg) = (x.clone(), w.clone(), b.clone(), y.grad.clone());
        self.record(move |gpu, p| {
            let dy = yg.unwrap();
            if let Some(dx) = &x.grad {
                p.push(linear::linear_backward_input(gpu, &w.val, &dy, dx));
            }
            p.push(linear::linear_backward_params(
                gpu,
                &x.val,
                &dy,
                &w.g(),
                &b.g(),
            ));
        });
        y
    }
}
