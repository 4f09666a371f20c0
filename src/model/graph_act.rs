//! GELU, SiLU and the elementwise sum (residual connections) on the tape.

use super::graph::{Graph, Var};
use crate::kernels::{add, gelu, silu};

impl Graph<'_> {
    /// Exact (erf) GELU, PyTorch's `nn.GELU()`.
    pub fn gelu(&mut self, x: &Var) -> Var {
        let y = self.var(x.shape());
        self.fwd.push(gelu::gelu(self.gpu, &x.val, &y.val));
        let (x, yg) = (x.clone(), y.grad.clone());
        if let Some(dx) = x.grad.clone() {
            self.record(move |gpu, p| p.push(gelu::gelu_backward(gpu, &x.val, &yg.unwrap(), &dx)));
        }
        y
    }

    /// x * sigmoid(x), PyTorch's `nn.SiLU()`.
    pub fn silu(&mut self, x: &Var) -> Var {
        let y = self.var(x.shape());
        self.fwd.push(silu::silu(self.gpu, &x.val, &y.val));
        let (x, yg) = (x.clone(), y.grad.clone());
        if let Some(dx) = x.grad.clone() {
            self.record(move |gpu, p| p.push(silu::silu_backward(gpu, &x.val, &yg.unwrap(), &dx)));
        }
        y
    }

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
