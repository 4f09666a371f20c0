//! The DPM-Solver++ step as a tape op, so a graph can record "U-Net -> dpm_solver -> U-Net
//! -> dpm_solver ..." and run backward through it, the predicted x0 passed from each step to
//! the next as a value of its own.

use crate::gpu::GpuTensor;
/// One DPM-Solver++ step as recorded (its own `state` tensor, so each step of a chain keeps
/// its k).
pub use crate::kernels::dpm_solver::DpmStep;
use crate::kernels::dpm_solver::{dpm_solver, dpm_solver_backward};
use crate::model::graph::{Graph, Var};

impl Graph<'_> {
    /// One step (out of place) from x, the model output `out` and the previous step's
    /// predicted x0 `x0_prev` (any value on a first-order step, which does not read it):
    /// returns (x', this step's predicted x0). Backward adds into the gradients of all three.
    pub fn dpm_solver(&mut self, x: &Var, out: &Var, x0_prev: &Var, step: &DpmStep) -> (Var, Var) {
        let shape = x.shape().to_vec();
        let len = x.val.len();
        let (n, chw) = (shape[0], len / shape[0]);
        let (y, d) = (self.var(&shape), self.var(&shape));
        self.fwd.copy(&x.val, &y.val);
        self.fwd.copy(&x0_prev.val, &d.val);
        self.fwd
            .push(dpm_solver(self.gpu, n, chw, step, &out.val, &y.val, &d.val));
        if self.train && [x, out, x0_prev].iter().any(|v| v.grad.is_some()) {
            let (dx, dout) = (self.grad_or_scratch(x), self.grad_or_scratch(out));
            let dprev = self.grad_or_scratch(x0_prev);
            // The kernel reads both outputs' gradients from one buffer [g; g0].
            let g2 = self.gpu.zeros(&[2, n, chw]);
            let half =
                |h: u64| GpuTensor::new(g2.buf.clone(), g2.offset + h * x.val.bytes(), &shape);
            let (lo, hi) = (half(0), half(1));
            let (xv, ov, st) = (x.val.clone(), out.val.clone(), step.clone());
            let (yg, dg) = (y.grad.clone(), d.grad.clone());
            self.record(move |gpu, p| {
                p.copy(&yg.unwrap(), &lo);
                p.copy(&dg.unwrap(), &hi);
                p.push(dpm_solver_backward(
                    gpu, n, chw, &st, &g2, &xv, &ov, &dx, &dout, &dprev,
                ));
            });
        }
        (y, d)
    }
}
