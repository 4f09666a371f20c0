//! The class label's embedding added to the time embedding, on the tape.

use crate::gpu::GpuTensor;
use crate::kernels::label_embedding;
use crate::model::graph::{Graph, Var};

impl Graph<'_> {
    /// temb + table[y]: the class label joins the time embedding (y is u32 [n]).
    pub fn label_embedding(&mut self, temb: &Var, y: &GpuTensor, table: &Var) -> Var {
        let (n, d) = (temb.shape()[0], temb.shape()[1]);
        let out = self.var(&[n, d]);
        self.fwd.push(label_embedding::label_embedding(
            self.gpu, n, d, &temb.val, y, &table.val, &out.val,
        ));
        if self.train && (temb.grad.is_some() || table.grad.is_some()) {
            // One kernel writes both gradients.
            let (dtemb, dtable) = (self.grad_or_scratch(temb), self.grad_or_scratch(table));
            let (y, og) = (y.clone(), out.grad.clone());
            self.record(move |gpu, p| {
                p.push(label_embedding::label_embedding_backward(
                    gpu,
                    n,
                    d,
                    &y,
                    &og.unwrap(),
                    &dtemb,
                    &dtable,
                ))
            });
        }
        out
    }
}
