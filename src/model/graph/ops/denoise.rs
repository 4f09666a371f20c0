//! Tape ops of the diffusion process, so a graph can record "add noise -> U-Net -> denoise
//! -> U-Net -> denoise ..." and run backward through it: add-noise (gradients to x0 and to
//! the drawn noise), one reverse step (gradients to x_t and to the predicted noise, with the
//! step's z held fixed), and eval-mode BatchNorm's backward, which the U-Net needs when it
//! runs as the sampler runs it.

use crate::gpu::GpuTensor;
use crate::kernels::add_noise::{add_noise, add_noise_backward};
use crate::kernels::batchnorm::BnShape;
use crate::kernels::batchnorm_eval_backward::batchnorm_eval_backward;
use crate::kernels::denoise::{denoise, denoise_backward, DenoiseStep};
use crate::model::graph::{Graph, Var};

impl Graph<'_> {
    /// x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps with t drawn per image (or `t_fixed` for
    /// all) and eps drawn from `rng_state` (u32 [seed_lo, seed_hi, step_lo, step_hi]).
    /// Returns (x_t, t u32 [n], eps); backward adds into x0's gradient and eps's.
    pub fn add_noise(
        &mut self,
        x0: &Var,
        table: &GpuTensor,
        rng_state: &GpuTensor,
        t_fixed: Option<u32>,
    ) -> (Var, GpuTensor, Var) {
        let shape = x0.shape().to_vec();
        let (n, chw) = (shape[0], x0.val.len() / shape[0]);
        let xt = self.var(&shape);
        let eps = self.var(&shape);
        let t = self.gpu.zeros(&[n]);
        self.fwd.push(add_noise(
            self.gpu, n, chw, t_fixed, table, rng_state, &x0.val, &t, &xt.val, &eps.val,
        ));
        if self.train {
            let (dx0, deps) = (self.grad_or_scratch(x0), self.grad_or_scratch(&eps));
            let (table, tt, xg) = (table.clone(), t.clone(), xt.grad.clone());
            self.record(move |gpu, p| {
                let g = xg.unwrap();
                p.push(add_noise_backward(
                    gpu, n, chw, &table, &tt, &g, &dx0, &deps,
                ));
            });
        }
        (xt, t, eps)
    }

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
