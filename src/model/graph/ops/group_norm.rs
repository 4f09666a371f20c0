//! GroupNorm on the tape. It keeps no running statistics, so training and evaluation run
//! the same forward.

use crate::kernels::group_norm::{self, GnShape};
use crate::model::graph::{Graph, Var};

impl Graph<'_> {
    /// `nn.GroupNorm(groups, c)` (eps 1e-5) on x [n, c, ...], with gamma and beta [c].
    pub fn group_norm(&mut self, x: &Var, groups: usize, gamma: &Var, beta: &Var) -> Var {
        let sh = x.shape().to_vec();
        assert!(
            sh.len() >= 2,
            "group_norm: x must be [n, c, ...], got shape {sh:?}"
        );
        let s = GnShape {
            n: sh[0],
            c: sh[1],
            hw: sh[2..].iter().product(),
            groups,
        };
        let y = self.var(&sh);
        let (mean, rstd) = (self.gpu.zeros(&[s.rows()]), self.gpu.zeros(&[s.rows()]));
        self.fwd.extend(group_norm::group_norm(
            self.gpu, &s, &x.val, &gamma.val, &beta.val, &y.val, &mean, &rstd,
        ));
        if self.train && [x, gamma, beta].iter().any(|v| v.grad.is_some()) {
            // dgamma and dbeta come from the sums that dx needs, so both are always written.
            let (dgamma, dbeta) = (self.grad_or_scratch(gamma), self.grad_or_scratch(beta));
            let (x, gamma, yg) = (x.clone(), gamma.val.clone(), y.grad.clone());
            self.record(move |gpu, p| {
                p.extend(group_norm::group_norm_backward(
                    gpu,
                    &s,
                    &x.val,
                    &gamma,
                    &mean,
                    &rstd,
                    &yg.unwrap(),
                    x.grad.as_ref(),
                    &dgamma,
                    &dbeta,
                ));
            });
        }
        y
    }
}
