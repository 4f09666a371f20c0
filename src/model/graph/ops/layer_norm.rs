//! LayerNorm on the tape. It keeps no running statistics, so training and evaluation run
//! the same forward.

use crate::kernels::layer_norm::{self, LnShape};
use crate::model::graph::{Graph, Var};

impl Graph<'_> {
    /// `nn.LayerNorm([c])` (eps 1e-5) over the last dim c of x (any rank), with gamma and
    /// beta [c].
    pub fn layer_norm(&mut self, x: &Var, gamma: &Var, beta: &Var) -> Var {
        let sh = x.shape().to_vec();
        let c = *sh
            .last()
            .unwrap_or_else(|| panic!("layer_norm: x has no dims"));
        let s = LnShape {
            rows: x.val.len() / c.max(1),
            c,
        };
        let y = self.var(&sh);
        let (mean, rstd) = (self.gpu.zeros(&[s.rows]), self.gpu.zeros(&[s.rows]));
        self.fwd.push(layer_norm::layer_norm(
            self.gpu, &s, &x.val, &gamma.val, &beta.val, &y.val, &mean, &rstd,
        ));
        if !self.train {
            return y;
        }
        let params = (gamma.grad.is_some() || beta.grad.is_some())
            .then(|| [self.grad_or_scratch(gamma), self.grad_or_scratch(beta)]);
        if x.grad.is_none() && params.is_none() {
            return y;
        }
        let (x, gamma, yg) = (x.clone(), gamma.val.clone(), y.grad.clone());
        self.record(move |gpu, p| {
            let dy = yg.unwrap();
            if let Some(dx) = &x.grad {
                p.push(layer_norm::layer_norm_backward_input(
                    gpu, &s, &x.val, &gamma, &mean, &rstd, &dy, dx,
                ));
            }
            if let Some([dgamma, dbeta]) = &params {
                p.extend(layer_norm::layer_norm_backward_params(
                    gpu, &s, &x.val, &mean, &rstd, &dy, dgamma, dbeta,
                ));
            }
        });
        y
    }
}
