//! Multi-head self-attention core, as in `nn.MultiheadAttention(C, heads, batch_first=True)`
//! between its two projections: from qkv [n, L, 3C] (the in-projection's output, q then k
//! then v, head h at columns h*d..(h+1)*d of each third, d = C / heads) to
//! o [n, L, C] = concat over heads of softmax(q k^T / sqrt(d)) v.
//!
//! Kernels: `shaders/attention_pack.wgsl` packs the operands of the products into textures
//! (`packed.rs`), `shaders/attention_matmul.wgsl` computes every batched product from an
//! invocation's own operand and one its workgroup shares through `spread`,
//! `shaders/attention_softmax.wgsl` the row softmax and the row term of its backward. The
//! scores and the probabilities P are two [n * heads, L, L] textures held by an
//! [`AttentionPlan`] (4 MiB per image and head at L = 1024); dS reuses the scores' texture.
//! CPU references: [`attention_cpu`], [`attention_backward_cpu`] (`reference.rs`).

mod packed;
mod reference;
mod shape;

use bytemuck::Zeroable;

use crate::gpu::{id, Bind, Dispatch, Gpu, GpuTensor, WG};
use packed::{pack, pack_shared, Form, Operand, Packed, Shared};
pub use reference::{attention_backward_cpu, attention_backward_f64, attention_cpu, attention_f64};
pub use shape::{attention_flops, self_attention_flops, AttentionShape};

crate::uniform! {
    struct MatmulParams for attention_matmul {
        m: u32,
        n: u32,
        k: u32,
        steps: u32,
        heads: u32,
        cblocks: u32,
        scale: f32,
        sq_layer_h: u32,
        a_rows: u32,
        a_layer_h: u32,
        a_k4: u32,
        n4: u32,
        out: Operand,
        _pad: [u32; 3],
    }
}

/// Invocations per workgroup of `shaders/attention_matmul.wgsl` (`WGS`), each with 4 rows.
const MATMUL_WG: usize = 16;

crate::uniform! {
    struct RowParams for attention_softmax {
        l: u32,
        l4: u32,
        layer_h: u32,
        heads: u32,
        c: u32,
        d: u32,
        _pad: [u32; 2],
    }
}

crate::bindings! {
    for attention_matmul {
        accumulate, outer_accumulate, product => {
            a: texture_read_2d_array,
            bt: texture_read_2d,
            out: read_write,
        }
        scores => { a: texture_read_2d_array, bt: texture_read_2d, sq_out: texture_storage_2d_array }
        softmax_grad => {
            a: texture_read_2d_array,
            bt: texture_read_2d,
            sq_out: texture_storage_2d_array,
            probs: texture_read_2d_array,
            rowdot: read,
        }
    }
    for attention_softmax {
        softmax => { s_in: texture_read_2d_array, p_out: texture_storage_2d_array }
        row_dot => { dout: read, o: read, rowdot: read_write }
    }
}

/// The textures of the backward (besides the forward's, which it reads too).
struct Backward {
    /// dO as the own operand of dO v^T, and shared in P^T dO.
    dout: Packed,
    dout_sh: Shared,
    /// v, k^T and q shared in dO v^T, dS k and dS^T q.
    v_sh: Shared,
    kt_sh: Shared,
    q_sh: Shared,
    rowdot: GpuTensor,
}

/// The textures of one attention call, created once and read by its recorded dispatches.
pub struct AttentionPlan {
    s: AttentionShape,
    /// q as the own operand of q k^T; k and v^T shared in q k^T and P v.
    q: Packed,
    k_sh: Shared,
    vt_sh: Shared,
    /// S in the forward, dS in the backward.
    scores: Packed,
    probs: Packed,
    back: Option<Backward>,
}

impl AttentionPlan {
    /// Textures for the forward, and with `train` for the backward too.
    pub fn new(gpu: &Gpu, s: &AttentionShape, train: bool) -> AttentionPlan {
        s.check();
        let (z, l, d) = (s.z(), s.l, s.d());
        let own = |label, rows, k| Packed::new(gpu, label, z, rows, k);
        let shared = |label, cols, k, form| Shared::new(gpu, label, z, cols, k, form);
        AttentionPlan {
            s: *s,
            q: own("attention q", l, d),
            k_sh: shared("attention k", l, d, Form::Inner),
            vt_sh: shared("attention v^T", d, l, Form::Inner),
            scores: own("attention scores", l, l),
            probs: own("attention probs", l, l),
            back: train.then(|| Backward {
                dout: own("attention dout", l, d),
                dout_sh: shared("attention dout (shared)", d, l, Form::Outer),
                v_sh: shared("attention v", l, d, Form::Inner),
                kt_sh: shared("attention k^T", d, l, Form::Inner),
                q_sh: shared("attention q (shared)", d, l, Form::Outer),
                rowdot: gpu.zeros(&[z * l]),
            }),
        }
    }

    fn check(&self, what: &str, t: &GpuTensor, width: usize) {
        let s = &self.s;
        let want = s.n * s.l * width;
        assert_eq!(
            t.len(),
            want,
            "attention: {what} must be [n={}, L={}, {width}] ({want} elements), got shape {:?}",
            s.n,
            s.l,
            t.shape
        );
    }

    /// o = softmax(q k^T / sqrt(d)) v per (image, head), heads side by side; overwrites
    /// o [n, L, C]. Six dispatches: three packs, scores, softmax, values.
    pub fn forward(&self, gpu: &Gpu, qkv: &GpuTensor, o: &GpuTensor) -> Vec<Dispatch> {
        let s = &self.s;
        self.check("qkv", qkv, 3 * s.c);
        self.check("o", o, s.c);
        let [q, k, v] = [0, 1, 2].map(|part| Operand::qkv(s, part));
        vec![
            pack(gpu, s, qkv, q, &self.q),
            pack_shared(gpu, s, qkv, k, &self.k_sh),
            pack_shared(gpu, s, qkv, v.t(), &self.vt_sh),
            self.scaled(
                gpu,
                "attention_scores",
                "scores",
                (&self.q, &self.k_sh),
                &[Bind::Texture(&self.scores.view)],
            ),
            gpu.dispatch_bound(
                "attention_softmax",
                id::attention_softmax,
                "softmax",
                &self.row_params(),
                &[
                    Bind::Texture(&self.scores.view),
                    Bind::Texture(&self.probs.view),
                ],
                [
                    s.l.div_ceil(4).div_ceil(WG as usize) as u32,
                    s.z() as u32,
                    1,
                ],
            ),
            self.product(
                gpu,
                "attention_values",
                "product",
                (&self.probs, &self.vt_sh),
                o,
                Operand::tokens(s),
            ),
        ]
    }

    /// dqkv += the gradient of [`AttentionPlan::forward`] for the output gradient `dout`
    /// [n, L, C], given the forward's qkv and o (and the probabilities it left in the plan).
    /// Ten dispatches: five packs, dv, the softmax row term, dS, dq, dk.
    pub fn backward(
        &self,
        gpu: &Gpu,
        qkv: &GpuTensor,
        o: &GpuTensor,
        dout: &GpuTensor,
        dqkv: &GpuTensor,
    ) -> Vec<Dispatch> {
        let s = &self.s;
        let b = self
            .back
            .as_ref()
            .expect("attention: backward of a plan built without train");
        self.check("qkv", qkv, 3 * s.c);
        self.check("dqkv", dqkv, 3 * s.c);
        self.check("o", o, s.c);
        self.check("dout", dout, s.c);
        let [q, k, v] = [0, 1, 2].map(|part| Operand::qkv(s, part));
        let tok = Operand::tokens(s);
        vec![
            pack(gpu, s, dout, tok, &b.dout),
            // Shared operands are addressed (z, column, summed index).
            pack_shared(gpu, s, dout, tok.t(), &b.dout_sh),
            pack_shared(gpu, s, qkv, v, &b.v_sh),
            pack_shared(gpu, s, qkv, k.t(), &b.kt_sh),
            pack_shared(gpu, s, qkv, q.t(), &b.q_sh),
            // dv += P^T dO
            self.product(
                gpu,
                "attention_values_grad",
                "outer_accumulate",
                (&self.probs, &b.dout_sh),
                dqkv,
                v,
            ),
            gpu.dispatch(
                "attention_row_dot",
                id::attention_softmax,
                "row_dot",
                &self.row_params(),
                &[dout, o, &b.rowdot],
                [s.l.div_ceil(WG as usize) as u32, s.z() as u32, 1],
            ),
            // dS = P * (dO v^T - rowdot) / sqrt(d): the gradient of the scaled scores, with
            // the scale of q k^T folded in so that dq and dk are plain products.
            self.scaled(
                gpu,
                "attention_scores_grad",
                "softmax_grad",
                (&b.dout, &b.v_sh),
                &[
                    Bind::Texture(&self.scores.view),
                    Bind::Texture(&self.probs.view),
                    Bind::Tensor(&b.rowdot),
                ],
            ),
            // dq += dS k
            self.product(
                gpu,
                "attention_query_grad",
                "accumulate",
                (&self.scores, &b.kt_sh),
                dqkv,
                q,
            ),
            // dk += dS^T q
            self.product(
                gpu,
                "attention_key_grad",
                "outer_accumulate",
                (&self.scores, &b.q_sh),
                dqkv,
                k,
            ),
        ]
    }

    fn row_params(&self) -> RowParams {
        let s = &self.s;
        RowParams {
            l: s.l as u32,
            l4: s.l.div_ceil(4) as u32,
            layer_h: self.scores.layer_h as u32,
            heads: s.heads as u32,
            c: s.c as u32,
            d: s.d() as u32,
            _pad: [0; 2],
        }
    }

    /// A product whose result goes to `out` (entry `product`, `accumulate` or
    /// `outer_accumulate`) through the strided operand `op`.
    fn product(
        &self,
        gpu: &Gpu,
        label: &'static str,
        entry: &str,
        ab: (&Packed, &Shared),
        out: &GpuTensor,
        op: Operand,
    ) -> Dispatch {
        self.matmul(gpu, label, entry, ab, 1.0, op, &[Bind::Tensor(out)])
    }

    /// A product into the score textures (`binds`), scaled by 1/sqrt(d): the scores and
    /// their gradient share the one scale.
    fn scaled(
        &self,
        gpu: &Gpu,
        label: &'static str,
        entry: &str,
        ab: (&Packed, &Shared),
        binds: &[Bind],
    ) -> Dispatch {
        let scale = 1.0 / (self.s.d() as f32).sqrt();
        self.matmul(gpu, label, entry, ab, scale, Operand::zeroed(), binds)
    }

    /// One batched product for every (image, head) of the own operand `a` and the shared
    /// `b`, stored by `entry` (through `out` where it writes a buffer); `binds` are the
    /// bindings from 3 on. Inner: a [z, m, K] times b [z, n, K]^T; outer: a [z, K, m]^T times
    /// b [z, K, n].
    #[allow(clippy::too_many_arguments)]
    fn matmul(
        &self,
        gpu: &Gpu,
        label: &'static str,
        entry: &str,
        (a, b): (&Packed, &Shared),
        scale: f32,
        out: Operand,
        binds: &[Bind],
    ) -> Dispatch {
        let outer = b.form() == Form::Outer;
        assert_eq!(
            outer,
            entry.starts_with("outer"),
            "{label}: entry {entry} does not match the shared operand's form"
        );
        let m = if outer { a.k } else { a.rows };
        debug_assert_eq!(
            if outer { a.rows } else { a.k },
            b.k,
            "{label}: operands summed over different lengths"
        );
        let n = b.cols;
        let gx = m.div_ceil(4).div_ceil(MATMUL_WG);
        assert!(
            gx <= 65535 && b.cblocks() <= 65535,
            "{label}: {m}x{n} per head exceeds the grid"
        );
        let p = MatmulParams {
            m: m as u32,
            n: n as u32,
            k: b.k as u32,
            steps: b.steps() as u32,
            heads: self.s.heads as u32,
            cblocks: b.cblocks() as u32,
            scale,
            sq_layer_h: self.scores.layer_h as u32,
            a_rows: a.rows as u32,
            a_layer_h: a.layer_h as u32,
            a_k4: a.k4() as u32,
            n4: n.div_ceil(4) as u32,
            out,
            _pad: [0; 3],
        };
        let mut all = vec![Bind::Texture(&a.view), Bind::Texture(&b.view)];
        all.extend_from_slice(binds);
        gpu.dispatch_bound(
            label,
            id::attention_matmul,
            entry,
            &p,
            &all,
            [gx as u32, b.cblocks() as u32, self.s.z() as u32],
        )
    }
}
