//! BatchNorm on the tape: plain, and fused with the ReLU that follows it in every ConvBlock
//! (one pass fewer forward and backward).

use crate::gpu::GpuTensor;
use crate::kernels::batchnorm::{self, BnOut, BnShape};
use crate::model::graph::{Graph, Var};

impl Graph<'_> {
    /// BatchNorm2d, or relu(BatchNorm2d(x)) as one op (`out`): batch statistics (and a
    /// running-stat update) in training mode, running statistics in evaluation mode and with
    /// `frozen_bn` (then backward is `batchnorm_eval_backward`).
    pub fn batchnorm(
        &mut self,
        x: &Var,
        gamma: &Var,
        beta: &Var,
        [rmean, rvar]: [&GpuTensor; 2],
        out: BnOut,
    ) -> Var {
        let relu = out == BnOut::Relu;
        let sh = x.shape().to_vec();
        let s = BnShape {
            n: sh[0],
            c: sh[1],
            hw: sh[2] * sh[3],
        };
        let y = self.var(&sh);
        if !self.train || self.frozen_bn {
            // Running statistics. Under a tape (fine-tuning through the sampler) the eval
            // backward has no fused ReLU, so the ReLU is its own op there.
            let taped = self.train;
            self.fwd.push(batchnorm::batchnorm_eval(
                self.gpu,
                &s,
                &x.val,
                &gamma.val,
                &beta.val,
                [rmean, rvar],
                &y.val,
                if taped { BnOut::Plain } else { out },
            ));
            if !taped {
                return y;
            }
            self.batchnorm_eval_tape(&s, x, gamma, beta, rmean, rvar, &y);
            return if relu { self.relu(&y) } else { y };
        }
        let mean = self.gpu.zeros(&[s.c]);
        let invstd = self.gpu.zeros(&[s.c]);
        let stats = [rmean, rvar, &mean, &invstd];
        self.fwd.extend(batchnorm::batchnorm_train(
            self.gpu, &s, &x.val, &gamma.val, &beta.val, stats, &y.val, out,
        ));
        // One kernel sequence writes all three gradients.
        let grads = [
            self.grad_or_scratch(x),
            self.grad_or_scratch(gamma),
            self.grad_or_scratch(beta),
        ];
        let (x, gamma, yv, yg) = (x.clone(), gamma.clone(), y.val.clone(), y.grad.clone());
        self.record(move |gpu, p| {
            let mask = relu.then_some(&yv);
            let [dx, dgamma, dbeta] = &grads;
            p.extend(batchnorm::batchnorm_backward(
                gpu,
                &s,
                &x.val,
                &gamma.val,
                [&mean, &invstd],
                &yg.unwrap(),
                mask,
                [dx, dgamma, dbeta],
            ));
        });
        y
    }
}
