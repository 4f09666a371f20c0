//! Self-attention on the tape, as in the seed-003 network's `SelfAttention` (images to
//! tokens and back are `tokens.rs`): `nn.MultiheadAttention(C, heads, batch_first=True)(x, x, x)[0]` as its
//! in-projection (`Graph::linear` on [n, L, C]), the attention core (`kernels::attention`) and
//! its out-projection.

use crate::kernels::attention::{AttentionPlan, AttentionShape};
use crate::model::graph::{Graph, Var};

impl Graph<'_> {
    /// Multi-head self-attention of x [n, L, C]: in_w [3C, C] (rows q, then k, then v),
    /// in_b [3C], out_w [C, C], out_b [C], as PyTorch's in_proj_weight, in_proj_bias,
    /// out_proj.weight and out_proj.bias. Holds two [n * heads, L, L] textures (scores, then
    /// their gradient in the backward; probabilities) besides small ones (`AttentionPlan`).
    pub fn self_attention(
        &mut self,
        x: &Var,
        heads: usize,
        in_w: &Var,
        in_b: &Var,
        out_w: &Var,
        out_b: &Var,
    ) -> Var {
        let xs = x.shape().to_vec();
        assert_eq!(
            xs.len(),
            3,
            "self_attention: x must be [n, L, C], got {xs:?}"
        );
        let s = AttentionShape {
            n: xs[0],
            l: xs[1],
            c: xs[2],
            heads,
        };
        let c = s.c;
        for (what, v, want) in [
            ("in_w", in_w, vec![3 * c, c]),
            ("in_b", in_b, vec![3 * c]),
            ("out_w", out_w, vec![c, c]),
            ("out_b", out_b, vec![c]),
        ] {
            assert_eq!(
                v.shape(),
                &want[..],
                "self_attention: {what} must be {want:?} for C = {c}"
            );
        }
        let qkv = self.linear(x, in_w, in_b);
        let o = self.var(&[s.n, s.l, c]);
        let plan = AttentionPlan::new(self.gpu, &s, self.train);
        self.fwd.extend(plan.forward(self.gpu, &qkv.val, &o.val));
        let o2 = o.clone();
        self.record(move |gpu, p| {
            p.extend(plan.backward(gpu, &qkv.val, &o2.val, &o2.g(), &qkv.g()))
        });
        self.linear(&o, out_w, out_b)
    }
}
