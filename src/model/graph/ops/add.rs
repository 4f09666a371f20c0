//! The elementwise sum (residual connections) on the tape.

use crate::kernels::add;
use crate::model::graph::{Graph, Var};

impl Graph<'_> {
    /// a + b of equal shapes.
    pub fn add(&mut self, a: &Var, b: &Var) -> Var {
        assert_eq!(
            a.shape(),
            b.shape(),
            "add: shapes {:?} and {:?} differ",
            a.shape(),
            b.shape()
        );
        let y = self.var(a.shape());
        self.fwd.push(add::add(self.gpu, &a.val, &b.val, &y.val));
        if a.grad.is_some() || b.grad.is_some() {
            let (da, db, yg) = (a.grad.clone(), b.grad.clone(), y.grad.clone());
            self.record(move |gpu, p| {
                p.extend(add::add_backward(
                    gpu,
                    &yg.unwrap(),
                    da.as_ref(),
                    db.as_ref(),
                ))
            });
        }
        y
    }
}
