//! 2x2 max pooling on the tape.

use crate::kernels::maxpool;
use crate::model::graph::{Graph, Var};

impl Graph<'_> {
    pub fn maxpool(&mut self, x: &Var) -> Var {
        let s = x.shape();
        let small = [s[0], s[1], s[2] / 2, s[3] / 2];
        self.unary(x, &small, maxpool::maxpool, maxpool::maxpool_backward)
    }
}
