//! The shape of an attention call and its FLOP counts.

/// Shape of one attention call: n images of l tokens with c channels split into `heads`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttentionShape {
    pub n: usize,
    pub l: usize,
    pub c: usize,
    pub heads: usize,
}

impl AttentionShape {
    /// Channels per head.
    pub fn d(&self) -> usize {
        self.c / self.heads
    }

    /// Elements of one [n * heads, L, L] matrix (scores, P, dS).
    pub fn probs_len(&self) -> usize {
        self.z() * self.l * self.l
    }

    /// (image, head) pairs.
    pub(super) fn z(&self) -> usize {
        self.n * self.heads
    }

    pub(super) fn check(&self) {
        let AttentionShape { n, l, c, heads } = *self;
        assert!(
            n > 0 && l > 0 && c > 0 && heads > 0,
            "attention: empty shape {self:?}"
        );
        assert_eq!(
            c % heads,
            0,
            "attention: {c} channels do not split into {heads} heads"
        );
        assert!(
            self.z() <= 65535,
            "attention: n * heads = {} exceeds the grid's 65535 rows",
            self.z()
        );
    }
}

/// FLOPs of the attention core (q k^T and P v), forward; its backward is twice that.
pub fn attention_flops(s: &AttentionShape) -> f64 {
    4.0 * (s.n * s.l * s.l * s.c) as f64
}

/// FLOPs of the whole self-attention layer forward: projections and core.
pub fn self_attention_flops(s: &AttentionShape) -> f64 {
    let rows = (s.n * s.l) as f64;
    2.0 * rows * (s.c * 4 * s.c) as f64 + attention_flops(s)
}
