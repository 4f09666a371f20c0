//! Channel concatenation on the tape.

use crate::kernels::{add, concat};
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
            let (da, mut db) = (self.grad_or_scratch(a), self.grad_or_scratch(b));
            // A value concatenated with itself (seed001's first up stage) has one gradient
            // buffer: a kernel writing it through two bindings races on every element, and
            // WebGPU refuses such a bind group. So b's half goes to a scratch, added in after.
            let shared = da
                .overlaps(&db)
                .then(|| std::mem::replace(&mut db, self.scratch_grad(b.shape())));
            let yg = y.grad.clone();
            self.record(move |gpu, p| {
                p.push(concat::concat_backward(gpu, &yg.unwrap(), &da, &db));
                for d in shared
                    .iter()
                    .flat_map(|g| add::add_backward(gpu, &db, Some(g), None))
                {
                    p.push(d);
                }
            });
        }
        y
    }
}
