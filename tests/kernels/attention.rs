//! The attention core (`shaders/attention_pack.wgsl`, `shaders/attention_matmul.wgsl`,
//! `shaders/attention_softmax.wgsl`, `shaders/attention_texels.wgsl`) against its f64 CPU
//! reference. The probabilities live in textures; o (a P-weighted mix) checks them.

use wgpu_ddpm::gpu::{Gpu, GpuTensor};
use wgpu_ddpm::kernels::attention::*;

use crate::attention_bounds::{backward_bounds, forward_bounds};
use crate::common::tol::assert_within;
use crate::common::*;
// Both paths of the products, as for the convolutions: the adapter's own (subgroup
// shuffles on lavapipe) and the plain fallback of adapters without subgroups.
use crate::conv2d::paths;

fn shape(n: usize, l: usize, c: usize, heads: usize) -> AttentionShape {
    AttentionShape { n, l, c, heads }
}

// Odd token counts (not multiples of the 4x4 tile), d = 3 and 5, a single token, one head,
// and a seed shape (64 channels at 8x8, 4 heads).
fn shapes() -> Vec<AttentionShape> {
    vec![
        shape(3, 7, 12, 4),
        shape(3, 13, 20, 4),
        shape(2, 13, 12, 4),
        shape(1, 1, 4, 2),
        shape(2, 9, 5, 1),
        shape(2, 64, 64, 4),
    ]
}

struct Buffers {
    plan: AttentionPlan,
    qkv: GpuTensor,
    o: GpuTensor,
}

/// Forward on the GPU (with the backward's textures); o starts as garbage to prove it is
/// overwritten.
fn forward(gpu: &Gpu, s: &AttentionShape, qkv: &[f32], rng: &mut HostRng) -> Buffers {
    let b = Buffers {
        plan: AttentionPlan::new(gpu, s, true),
        qkv: upload(gpu, qkv, &[s.n, s.l, 3 * s.c]),
        o: upload(gpu, &rng.vec_normal(s.n * s.l * s.c), &[s.n, s.l, s.c]),
    };
    run(gpu, b.plan.forward(gpu, &b.qkv, &b.o));
    b
}

#[test]
fn attention_forward_matches_cpu() {
    for gpu in paths() {
        let mut rng = HostRng::new(51);
        for s in shapes() {
            // Scale 2 makes the softmax rows far from uniform.
            let qkv: Vec<f32> = rng
                .vec_normal(s.n * s.l * 3 * s.c)
                .iter()
                .map(|v| 2.0 * v)
                .collect();
            let b = forward(&gpu, &s, &qkv, &mut rng);
            let (_, o) = attention_cpu(&s, &qkv);
            let what = format!("{s:?} {:?}", gpu.spread);
            let bounds = forward_bounds(&s, &qkv);
            assert_within(&format!("o {what}"), &gpu.read(&b.o), &o, &bounds);
            // A plan built without the backward's textures gives the same o.
            let plan = AttentionPlan::new(&gpu, &s, false);
            let o2 = gpu.zeros(&[s.n, s.l, s.c]);
            run(&gpu, plan.forward(&gpu, &b.qkv, &o2));
            assert_within(&format!("o eval {what}"), &gpu.read(&o2), &o, &bounds);
        }
    }
}

#[test]
fn attention_by_hand() {
    // One image, two tokens, one head of d = 1 (scale 1): q = (0, 1), k = (0, ln 3), v = (1, 5).
    // Row 0 scores (0, 0): P = (1/2, 1/2), o = 3. Row 1 scores (0, ln 3): P = (1/4, 3/4), o = 4.
    let gpu = gpu();
    let s = shape(1, 2, 1, 1);
    let ln3 = 3f32.ln();
    // Rows are (q, k, v) per token.
    let qkv = [0.0, 0.0, 1.0, 1.0, ln3, 5.0];
    let mut rng = HostRng::new(0);
    let b = forward(&gpu, &s, &qkv, &mut rng);
    let (want_p, want_o) = ([0.5, 0.5, 0.25, 0.75], [3.0, 4.0]);
    let (p, o) = attention_cpu(&s, &qkv);
    // The GPU meets the rounding bound around the reference, which holds the hand values up
    // to f32(ln 3)'s own rounding.
    assert_within("o by hand", &gpu.read(&b.o), &o, &forward_bounds(&s, &qkv));
    assert_close("cpu P by hand", &p, &want_p, 1e-6, 1e-6);
    assert_close("cpu o by hand", &o, &want_o, 1e-6, 1e-6);
}

/// Backward on the GPU into a dqkv that holds `dqkv0`; returns the result.
fn backward(gpu: &Gpu, s: &AttentionShape, b: &Buffers, dout: &[f32], dqkv0: &[f32]) -> Vec<f32> {
    let dog = upload(gpu, dout, &[s.n, s.l, s.c]);
    let dqkv = upload(gpu, dqkv0, &[s.n, s.l, 3 * s.c]);
    run(gpu, b.plan.backward(gpu, &b.qkv, &b.o, &dog, &dqkv));
    gpu.read(&dqkv)
}

#[test]
fn attention_backward_matches_cpu_and_accumulates() {
    for gpu in paths() {
        let mut rng = HostRng::new(52);
        for s in shapes() {
            let len = s.n * s.l * 3 * s.c;
            let qkv: Vec<f32> = rng.vec_normal(len).iter().map(|v| 1.5 * v).collect();
            let dout = rng.vec_normal(s.n * s.l * s.c);
            let dqkv0 = rng.vec_normal(len);
            let b = forward(&gpu, &s, &qkv, &mut rng);
            let got = backward(&gpu, &s, &b, &dout, &dqkv0);
            let fresh = attention_backward_cpu(&s, &qkv, &dout);
            let what = format!("dqkv {s:?} {:?}", gpu.spread);
            let want: Vec<f32> = dqkv0.iter().zip(&fresh).map(|(a, b)| a + b).collect();
            let bounds = backward_bounds(&s, &qkv, &dout, &dqkv0);
            assert_within(&what, &got, &want, &bounds);
        }
    }
}

#[test]
fn attention_backward_finite_difference() {
    // L = sum(r * o(qkv)); dqkv from the GPU vs central differences of the f64 reference.
    for gpu in paths() {
        for s in [shape(2, 5, 12, 4), shape(1, 7, 10, 2)] {
            let mut rng = HostRng::new(53);
            let len = s.n * s.l * 3 * s.c;
            let qkv = rng.vec_normal(len);
            let r = rng.vec_normal(s.n * s.l * s.c);
            let b = forward(&gpu, &s, &qkv, &mut rng);
            let got = backward(&gpu, &s, &b, &r, &vec![0.0; len]);
            let loss = |v: &[f64]| {
                let (_, o) = attention_f64(&s, v);
                o.iter().zip(&r).map(|(a, b)| a * *b as f64).sum::<f64>()
            };
            // Smooth in qkv: eps 1e-4 leaves truncation error ~1e-8, far below f32 rounding.
            let what = format!("attention fd {s:?} {:?}", gpu.spread);
            fd_check(&what, &got, &f64s(&qkv), 1e-4, loss, 2e-5, 1e-4);
        }
    }
}

#[test]
fn attention_rejects_bad_shapes() {
    let gpu = gpu();
    let panics = |f: &dyn Fn()| {
        let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_err();
        err.downcast_ref::<String>().cloned().unwrap_or_default()
    };
    let msg = panics(&|| {
        AttentionPlan::new(&gpu, &shape(1, 3, 10, 4), false);
    });
    assert!(msg.contains("do not split into 4 heads"), "{msg}");
    let plan = AttentionPlan::new(&gpu, &shape(1, 3, 8, 4), false);
    let msg = panics(&|| {
        plan.forward(&gpu, &gpu.zeros(&[1, 3, 8]), &gpu.zeros(&[1, 3, 8]));
    });
    assert!(msg.contains("qkv must be [n=1, L=3, 24]"), "{msg}");
}

#[test]
fn attention_flops_count_both_products() {
    let s = shape(2, 3, 4, 2);
    // q k^T and P v: 2 * (2 * 3 * 3 * 4) each.
    assert_eq!(attention_flops(&s), 288.0);
}
