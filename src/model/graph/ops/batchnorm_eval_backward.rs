//! BatchNorm with running statistics under a tape, which the U-Net needs when it runs as
//! the sampler runs it (fine-tuning through the sampler).

use crate::gpu::GpuTensor;
use crate::kernels::batchnorm::BnShape;
use crate::kernels::batchnorm_eval_backward::batchnorm_eval_backward;
use crate::model::graph::{Graph, Var};

impl Graph<'_> {
    /// The backward of an eval-mode BatchNorm `y` (running statistics frozen), when the graph
    /// has a tape.
    pub(super) fn batchnorm_eval_tape(
        &mut self,
        s: &BnShape,
        x: &Var,
        gamma: &Var,
        beta: &Var,
        rmean: &GpuTensor,
        rvar: &GpuTensor,
        y: &Var,
    ) {
        if !self.train {
            return;
        }
        let s = *s;
        let (x, gamma, yg) = (x.clone(), gamma.clone(), y.grad.clone());
        let (rm, rv) = (rmean.clone(), rvar.clone());
        let params = gamma.grad.clone().zip(beta.grad.clone());
        self.record(move |gpu, p| {
            p.extend(batchnorm_eval_backward(
                gpu,
                s.n,
                s.c,
                s.hw,
                &x.val,
                &gamma.val,
                &rm,
                &rv,
                &yg.unwrap(),
                x.grad.as_ref(),
                params.as_ref().map(|(g, b)| (g, b)),
            ));
        });
    }
}
