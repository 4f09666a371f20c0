//! Images to tokens and back on the tape ([n, C, H, W] <-> [n, H*W, C]).

use crate::kernels::tokens;
use crate::model::graph::{Graph, Var};

impl Graph<'_> {
    /// [n, C, H, W] -> [n, H*W, C].
    pub fn tokens(&mut self, x: &Var) -> Var {
        let s = x.shape().to_vec();
        assert_eq!(s.len(), 4, "tokens: input must be [n, C, H, W], got {s:?}");
        let (n, c, hw) = (s[0], s[1], s[2] * s[3]);
        let y = self.var(&[n, hw, c]);
        self.fwd
            .push(tokens::tokens(self.gpu, n, c, hw, &x.val, &y.val));
        if let Some(dx) = x.grad.clone() {
            let yg = y.grad.clone();
            self.record(move |gpu, p| {
                p.push(tokens::tokens_backward(gpu, n, c, hw, &yg.unwrap(), &dx))
            });
        }
        y
    }

    /// [n, L, C] -> [n, C, h, w] with L = h * w.
    pub fn untokens(&mut self, x: &Var, h: usize, w: usize) -> Var {
        let s = x.shape().to_vec();
        assert!(
            s.len() == 3 && s[1] == h * w,
            "untokens: input must be [n, L = {h}*{w}, C], got {s:?}"
        );
        let (n, hw, c) = (s[0], s[1], s[2]);
        let y = self.var(&[n, c, h, w]);
        self.fwd
            .push(tokens::untokens(self.gpu, n, c, hw, &x.val, &y.val));
        if let Some(dx) = x.grad.clone() {
            let yg = y.grad.clone();
            self.record(move |gpu, p| {
                p.push(tokens::untokens_backward(gpu, n, c, hw, &yg.unwrap(), &dx))
            });
        }
        y
    }
}
