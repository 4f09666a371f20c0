//! Channel concatenation on the tape.

use crate::kernels::concat;
use crate::model::graph::{Graph, Var};

impl Graph<'_> {
    /// Channel concat: [a, b] along C.
    pub fn concat(&mut self, a: &Var, b: &Var) -> Var {
        let mut shape = a.shape().to_vec();
        shape[1] += b.shape()[1];
        let y = self.var(&shape);
        self.fwd
            .push(concat::concat(self.gpu, &a.val, &b.val, &y.val));
        if self.train && (a.grad.is_some() || b.grad.is_some()) {
            // One kernel writes both gradients.
            let (da, db) = (self.grad_or_scratch(a), self.grad_or_scratch(b));
            let yg = y.grad.clone();
            self.record(move |gpu, p| p.push(concat::concat_backward(gpu, &yg.unwrap(), &da, &db)));
        }
        y
    }
}
