//! Multi-head self-attention (packing, the texture matmuls, softmax), forward and backward,
//! on an odd token count and head width against the f64 reference.

use super::compare::{bound, Probe};
use crate::kernels::attention::{
    attention_backward_cpu, attention_cpu, AttentionPlan, AttentionShape,
};

pub fn attention(p: &mut Probe) {
    let s = AttentionShape {
        n: 2,
        l: 13,
        c: 12,
        heads: 4,
    };
    let (qkv, qkvg) = p.filled(&[s.n, s.l, 3 * s.c]);
    let (dout, doutg) = p.filled(&[s.n, s.l, s.c]);
    let (o, dqkv) = (p.zeros(&[s.n, s.l, s.c]), p.zeros(&[s.n, s.l, 3 * s.c]));
    let plan = AttentionPlan::new(p.gpu, &s, true);
    let mut ds = plan.forward(p.gpu, &qkvg, &o);
    ds.extend(plan.backward(p.gpu, &qkvg, &o, &doutg, &dqkv));
    p.run(ds);
    // Each output sums over the l tokens and the d channels of a head, through exp.
    let terms = s.l * s.d();
    p.check(
        "attention forward",
        &o,
        &attention_cpu(&s, &qkv).1,
        bound(terms, 0.0),
    );
    let want = attention_backward_cpu(&s, &qkv, &dout);
    p.check("attention backward", &dqkv, &want, bound(2 * terms, 0.0));
}
