//! ReLU, GELU and SiLU on the tape, and
//! `unary`, which records any op whose backward needs only its input and dy.

use crate::gpu::{Dispatch, Gpu, GpuTensor};
use crate::kernels::{gelu, relu, silu};
use crate::model::graph::{Graph, Var};

/// A launcher of y = f(x): (gpu, x, y).
type Forward = fn(&Gpu, &GpuTensor, &GpuTensor) -> Dispatch;
/// Its backward, dx += dy * f'(x): (gpu, x, dy, dx).
type Backward = fn(&Gpu, &GpuTensor, &GpuTensor, &GpuTensor) -> Dispatch;

impl Graph<'_> {
    /// y = f(x) of shape `y_shape` (the activations, maxpool); backward is recorded only
    /// when x takes a gradient.
    pub(in crate::model::graph) fn unary(
        &mut self,
        x: &Var,
        y_shape: &[usize],
        f: Forward,
        df: Backward,
    ) -> Var {
        let y = self.var(y_shape);
        self.fwd.push(f(self.gpu, &x.val, &y.val));
        let (x, yg) = (x.clone(), y.grad.clone());
        if let Some(dx) = x.grad.clone() {
            self.record(move |gpu, p| p.push(df(gpu, &x.val, &yg.unwrap(), &dx)));
        }
        y
    }

    pub fn relu(&mut self, x: &Var) -> Var {
        self.unary(x, x.shape(), relu::relu, relu::relu_backward)
    }

    /// Exact (erf) GELU, PyTorch's `nn.GELU()`.
    pub fn gelu(&mut self, x: &Var) -> Var {
        self.unary(x, x.shape(), gelu::gelu, gelu::gelu_backward)
    }

    /// x * sigmoid(x), PyTorch's `nn.SiLU()`.
    pub fn silu(&mut self, x: &Var) -> Var {
        self.unary(x, x.shape(), silu::silu, silu::silu_backward)
    }
}
