//! Multi-head self-attention core, as in `nn.MultiheadAttention(C, heads, batch_first=True)`
//! between its two projections: from qkv [n, L, 3C] (the in-projection's output, q then k
//! then v, head h at columns h*d..(h+1)*d of each third, d = C / heads) to
//! o [n, L, C] = concat over heads of softmax(q k^T / sqrt(d)) v.
//!
//! Kernels: `shaders/attention_matmul.wgsl` (every batched product, reading its operands in
//! place through strides) and `shaders/attention_softmax.wgsl` (row softmax, and the row term
//! of its backward). The probabilities P [n * heads, L, L] are stored for the backward.
//! CPU references: [`attention_cpu`], [`attention_backward_cpu`] (`reference.rs`).

use bytemuck::{Pod, Zeroable};

use crate::gpu::{grid_1d, id, Dispatch, Gpu, GpuTensor, WG};

mod reference;

pub use reference::{attention_backward_cpu, attention_backward_f64, attention_cpu, attention_f64};

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

    /// Elements of the probabilities (and of the scratch dS): [n * heads, L, L].
    pub fn probs_len(&self) -> usize {
        self.n * self.heads * self.l * self.l
    }

    fn check(&self, op: &str) {
        let AttentionShape { n, l, c, heads } = *self;
        assert!(
            n > 0 && l > 0 && c > 0 && heads > 0,
            "{op}: empty shape {self:?}"
        );
        assert_eq!(
            c % heads,
            0,
            "{op}: {c} channels do not split into {heads} heads"
        );
        assert!(
            n * heads <= 65535,
            "{op}: n * heads = {} exceeds the grid's 65535 rows",
            n * heads
        );
    }
}

fn check(op: &str, what: &str, t: &GpuTensor, len: usize, shape: &str) {
    assert_eq!(
        t.len(),
        len,
        "{op}: {what} must be {shape} ({len} elements), got shape {:?}",
        t.shape
    );
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

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct MatmulParams {
    m: u32,
    n: u32,
    k: u32,
    heads: u32,
    tiles_n: u32,
    tiles: u32,
    scale: f32,
    _pad0: u32,
    a: Operand,
    b: Operand,
    o: Operand,
    _pad1: u32,
}

/// Where element (z, i, j) of an operand lives: off + image * img + head * head + i * row +
/// j * col, for z = image * heads + head.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Operand {
    off: u32,
    img: u32,
    head: u32,
    row: u32,
    col: u32,
}

impl Operand {
    /// Head h's block of one third (`part` 0, 1, 2: q, k, v) of qkv [n, L, 3C], as [L, d].
    fn qkv(s: &AttentionShape, part: usize) -> Operand {
        let c3 = 3 * s.c;
        Self::new(part * s.c, s.l * c3, s.d(), c3, 1)
    }

    /// Head h's block of [n, L, C] (o, dO), as [L, d].
    fn tokens(s: &AttentionShape) -> Operand {
        Self::new(0, s.l * s.c, s.d(), s.c, 1)
    }

    /// [n * heads, L, L] (P, dS).
    fn probs(s: &AttentionShape) -> Operand {
        Self::new(0, s.heads * s.l * s.l, s.l * s.l, s.l, 1)
    }

    fn new(off: usize, img: usize, head: usize, row: usize, col: usize) -> Operand {
        Operand {
            off: off as u32,
            img: img as u32,
            head: head as u32,
            row: row as u32,
            col: col as u32,
        }
    }

    /// The same elements with the two matrix indices swapped.
    fn t(self) -> Operand {
        Operand {
            row: self.col,
            col: self.row,
            ..self
        }
    }
}

/// One batched product out[z] (op)= scale * a[z] b[z] of [m, k] by [k, n] for every (image,
/// head); `extra` are the softmax_grad entry's probs and rowdot.
#[allow(clippy::too_many_arguments)]
fn matmul(
    gpu: &Gpu,
    label: &'static str,
    entry: &str,
    s: &AttentionShape,
    [m, n, k]: [usize; 3],
    scale: f32,
    [a, b, o]: [(&GpuTensor, Operand); 3],
    extra: &[&GpuTensor],
) -> Dispatch {
    let tiles_n = n.div_ceil(4);
    let tiles = m.div_ceil(4) * tiles_n;
    let groups = tiles.div_ceil(WG as usize);
    assert!(
        groups <= 65535,
        "{label}: {m}x{n} output per head exceeds the grid"
    );
    let p = MatmulParams {
        m: m as u32,
        n: n as u32,
        k: k as u32,
        heads: s.heads as u32,
        tiles_n: tiles_n as u32,
        tiles: tiles as u32,
        scale,
        _pad0: 0,
        a: a.1,
        b: b.1,
        o: o.1,
        _pad1: 0,
    };
    let mut tensors = vec![a.0, b.0, o.0];
    tensors.extend_from_slice(extra);
    gpu.dispatch(
        label,
        id::attention_matmul,
        entry,
        &p,
        &tensors,
        [groups as u32, (s.n * s.heads) as u32, 1],
    )
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct RowParams {
    rows: u32,
    len: u32,
    heads: u32,
    d: u32,
}

/// p = softmax(q k^T / sqrt(d)) per (image, head) and o = P v, heads side by side: three
/// dispatches (scores, softmax, values). Overwrites p [n * heads, L, L] and o [n, L, C].
pub fn attention(
    gpu: &Gpu,
    s: &AttentionShape,
    qkv: &GpuTensor,
    p: &GpuTensor,
    o: &GpuTensor,
) -> Vec<Dispatch> {
    let op = "attention";
    s.check(op);
    let (l, d) = (s.l, s.d());
    check(op, "qkv", qkv, s.n * l * 3 * s.c, "[n, L, 3C]");
    check(op, "probs", p, s.probs_len(), "[n * heads, L, L]");
    check(op, "o", o, s.n * l * s.c, "[n, L, C]");
    let scale = 1.0 / (d as f32).sqrt();
    let probs = Operand::probs(s);
    let rows = s.probs_len() / l;
    let rp = RowParams {
        rows: rows as u32,
        len: l as u32,
        heads: s.heads as u32,
        d: d as u32,
    };
    vec![
        matmul(
            gpu,
            "attention_scores",
            "product",
            s,
            [l, l, d],
            scale,
            [
                (qkv, Operand::qkv(s, 0)),
                (qkv, Operand::qkv(s, 1).t()),
                (p, probs),
            ],
            &[],
        ),
        gpu.dispatch(
            "attention_softmax",
            id::attention_softmax,
            "softmax",
            &rp,
            &[p],
            grid_1d(rows),
        ),
        matmul(
            gpu,
            "attention_values",
            "product",
            s,
            [l, d, l],
            1.0,
            [
                (p, probs),
                (qkv, Operand::qkv(s, 2)),
                (o, Operand::tokens(s)),
            ],
            &[],
        ),
    ]
}

/// dqkv += the gradient of [`attention`] for the output gradient `dout` [n, L, C], given its
/// inputs and outputs (qkv, p, o). `ds` [n * heads, L, L] and `rowdot` [n * heads, L] are
/// scratch (overwritten). Five dispatches: dv, the softmax row term, ds, dq, dk.
#[allow(clippy::too_many_arguments)]
pub fn attention_backward(
    gpu: &Gpu,
    s: &AttentionShape,
    qkv: &GpuTensor,
    p: &GpuTensor,
    o: &GpuTensor,
    dout: &GpuTensor,
    ds: &GpuTensor,
    rowdot: &GpuTensor,
    dqkv: &GpuTensor,
) -> Vec<Dispatch> {
    let op = "attention_backward";
    s.check(op);
    let (l, d) = (s.l, s.d());
    check(op, "qkv", qkv, s.n * l * 3 * s.c, "[n, L, 3C]");
    check(op, "dqkv", dqkv, s.n * l * 3 * s.c, "[n, L, 3C]");
    check(op, "probs", p, s.probs_len(), "[n * heads, L, L]");
    check(op, "ds", ds, s.probs_len(), "[n * heads, L, L]");
    check(op, "o", o, s.n * l * s.c, "[n, L, C]");
    check(op, "dout", dout, s.n * l * s.c, "[n, L, C]");
    check(op, "rowdot", rowdot, s.n * s.heads * l, "[n * heads, L]");
    let scale = 1.0 / (d as f32).sqrt();
    let (probs, tok) = (Operand::probs(s), Operand::tokens(s));
    let [q, k, v] = [0, 1, 2].map(|part| Operand::qkv(s, part));
    let rp = RowParams {
        rows: l as u32,
        len: s.c as u32,
        heads: s.heads as u32,
        d: d as u32,
    };
    vec![
        // dv += P^T dO
        matmul(
            gpu,
            "attention_values_grad",
            "accumulate",
            s,
            [l, d, l],
            1.0,
            [(p, probs.t()), (dout, tok), (dqkv, v)],
            &[],
        ),
        gpu.dispatch(
            "attention_row_dot",
            id::attention_softmax,
            "row_dot",
            &rp,
            &[dout, o, rowdot],
            [l.div_ceil(WG as usize) as u32, (s.n * s.heads) as u32, 1],
        ),
        // dS = P * (dO v^T - rowdot) / sqrt(d): the gradient of the scaled scores, with the
        // scale of q k^T folded in so that dq and dk are plain products.
        matmul(
            gpu,
            "attention_scores_grad",
            "softmax_grad",
            s,
            [l, l, d],
            scale,
            [(dout, tok), (qkv, v.t()), (ds, probs)],
            &[p, rowdot],
        ),
        // dq += dS k
        matmul(
            gpu,
            "attention_query_grad",
            "accumulate",
            s,
            [l, d, l],
            1.0,
            [(ds, probs), (qkv, k), (dqkv, q)],
            &[],
        ),
        // dk += dS^T q
        matmul(
            gpu,
            "attention_key_grad",
            "accumulate",
            s,
            [l, d, l],
            1.0,
            [(ds, probs.t()), (qkv, q), (dqkv, k)],
            &[],
        ),
    ]
}
