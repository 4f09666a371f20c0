//! One reverse diffusion step on the tape, so a graph can record "add noise -> U-Net ->
//! denoise -> U-Net -> denoise ..." and run backward through it: gradients to x_t and to
//! the predicted noise, with the step's z held fixed.

use crate::kernels::denoise::{denoise, denoise_backward, DenoiseStep};
use crate::model::graph::{Graph, Var};

impl Graph<'_> {
    /// One reverse step x_t -> x_{t'} (out of place) with predicted noise `eps`.
    pub fn denoise(&mut self, x: &Var, eps: &Var, step: &DenoiseStep) -> Var {
        let shape = x.shape().to_vec();
        let (n, chw) = (shape[0], x.val.len() / shape[0]);
        let y = self.var(&shape);
        self.fwd.copy(&x.val, &y.val);
        self.fwd
            .push(denoise(self.gpu, n, chw, step, &eps.val, &y.val));
        if self.train && (x.grad.is_some() || eps.grad.is_some()) {
            // One kernel writes both gradients.
            let (dx, deps) = (self.grad_or_scratch(x), self.grad_or_scratch(eps));
            let (xv, ev, yg, st) = (x.val.clone(), eps.val.clone(), y.grad.clone(), step.clone());
            self.record(move |gpu, p| {
                p.push(denoise_backward(
                    gpu,
                    n,
                    chw,
                    &st,
                    &yg.unwrap(),
                    &xv,
                    &ev,
                    &dx,
                    &deps,
                ));
            });
        }
        y
    }
}
