//! The softmax cross-entropy loss of classifiers on the tape, which also yields the
//! log-probabilities.

use crate::gpu::GpuTensor;
use crate::kernels::softmax_cross_entropy as sce;
use crate::model::graph::{Graph, Var};

impl Graph<'_> {
    /// Mean softmax cross-entropy of `logits` [N, K] against `labels` (u32 [N]) into a
    /// 1-element tensor, and the log-probabilities [N, K] (no gradient flows through them).
    /// Its backward seeds the tape (dL/dL = 1).
    pub fn softmax_cross_entropy(
        &mut self,
        logits: &Var,
        labels: &GpuTensor,
    ) -> (GpuTensor, GpuTensor) {
        let (n, k) = (logits.shape()[0], logits.shape()[1]);
        let loss = self.gpu.zeros(&[1]);
        let logp = self.gpu.zeros(&[n, k]);
        self.fwd.extend(sce::softmax_cross_entropy(
            self.gpu,
            n,
            k,
            &logits.val,
            labels,
            &logp,
            &loss,
        ));
        if let Some(dlogits) = logits.grad.clone() {
            let (logp, labels) = (logp.clone(), labels.clone());
            self.record(move |gpu, p| {
                p.push(sce::softmax_cross_entropy_backward(
                    gpu, n, k, &logp, &labels, &dlogits,
                ))
            });
        }
        (loss, logp)
    }
}
