//! The forward diffusion step on the tape: gradients to x0 and to the drawn noise.

use crate::gpu::GpuTensor;
use crate::kernels::add_noise::{add_noise, add_noise_backward};
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
}
