//! The mean squared error loss on the tape; its backward seeds the tape.

use crate::gpu::GpuTensor;
use crate::kernels::mse;
use crate::model::graph::{Graph, Var};

impl Graph<'_> {
    /// Mean squared error into a 1-element tensor; its backward seeds the tape (dL/dL = 1).
    pub fn mse(&mut self, pred: &Var, target: &GpuTensor) -> GpuTensor {
        self.mse_over(pred, target, pred.val.len())
    }

    /// The mean square error of `pred`, whose gradient is that of a mean over `mean_over`
    /// elements (a micro-batch's share of an accumulated batch's loss).
    pub fn mse_over(&mut self, pred: &Var, target: &GpuTensor, mean_over: usize) -> GpuTensor {
        self.mse_weighted_over(pred, target, None, mean_over)
    }

    /// As `mse_over`, with each image's squares scaled by its weight in `w` (f32 [n], the
    /// min-SNR weights) when given.
    pub fn mse_weighted_over(
        &mut self,
        pred: &Var,
        target: &GpuTensor,
        w: Option<&GpuTensor>,
        mean_over: usize,
    ) -> GpuTensor {
        let loss = self.gpu.zeros(&[1]);
        self.fwd.extend(match w {
            None => mse::mse(self.gpu, &pred.val, target, &loss),
            Some(w) => mse::mse_weighted(self.gpu, &pred.val, target, w, &loss),
        });
        let (pred, target, w) = (pred.clone(), target.clone(), w.cloned());
        if let Some(dpred) = pred.grad.clone() {
            self.record(move |gpu, p| {
                p.push(match &w {
                    None => mse::mse_backward_over(gpu, &pred.val, &target, &dpred, mean_over),
                    Some(w) => mse::mse_backward_weighted_over(
                        gpu, &pred.val, &target, w, &dpred, mean_over,
                    ),
                })
            });
        }
        loss
    }
}
