//! The `attention` group: the attention core (`shaders/attention_pack.wgsl`,
//! `shaders/attention_matmul.wgsl`, `shaders/attention_softmax.wgsl`, with the
//! `attention_texels` library) forward and backward, packing passes included, and the whole
//! self-attention layer (`Graph::self_attention`: in-projection, core, out-projection)
//! forward + backward, at 4 heads and batch 8 on every adapter (the scores of [8, 1024, 64]
//! alone take 128 MiB). With BENCH_PROFILE set, the layer's time is also split by dispatch
//! label (`bench::profile`).
use wgpu_ddpm::bench::Bencher;
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::attention::{
    attention_flops, self_attention_flops, AttentionPlan, AttentionShape,
};
use wgpu_ddpm::model::graph::{Graph, Var};

/// [n, L, C]: the seed-003 network's self-attention at 8, 16 and 32 pixels.
const SHAPES: &[(usize, usize)] = &[(64, 256), (256, 128), (1024, 64)];
const N: usize = 8;
const HEADS: usize = 4;

pub fn bench(b: &Bencher) {
    let gpu = &b.gpu;
    for &(l, c) in SHAPES {
        let s = AttentionShape {
            n: N,
            l,
            c,
            heads: HEADS,
        };
        let case = format!("{N}x{l}x{c} h{HEADS}");
        let (qkv, o) = (gpu.zeros(&[N, l, 3 * c]), gpu.zeros(&[N, l, c]));
        let plan = AttentionPlan::new(gpu, &s, true);
        if b.enabled("attention") {
            let mut prog = Program::new();
            prog.extend(plan.forward(gpu, &qkv, &o));
            b.report("attention", &case, &prog, attention_flops(&s), 0.0);
        }
        if b.enabled("attention_backward") {
            let (dout, dqkv) = (gpu.zeros(&[N, l, c]), gpu.zeros(&[N, l, 3 * c]));
            let mut prog = Program::new();
            prog.extend(plan.backward(gpu, &qkv, &o, &dout, &dqkv));
            b.report(
                "attention_backward",
                &case,
                &prog,
                2.0 * attention_flops(&s),
                0.0,
            );
        }
        if b.enabled("self_attention") {
            let var = |shape: &[usize]| Var {
                val: gpu.zeros(shape),
                grad: Some(gpu.zeros(shape)),
            };
            let x = var(&[N, l, c]);
            let (in_w, in_b) = (var(&[3 * c, c]), var(&[3 * c]));
            let (out_w, out_b) = (var(&[c, c]), var(&[c]));
            let mut g = Graph::new(gpu, true);
            let y = g.self_attention(&x, HEADS, &in_w, &in_b, &out_w, &out_b);
            // Seed the backward as a loss would.
            let seed = y.grad.clone().unwrap();
            let tape = g.finish();
            let mut prog = Program::new();
            prog.append(tape.clear);
            prog.append(tape.forward);
            prog.copy(&y.val, &seed);
            prog.append(tape.backward);
            if std::env::var("BENCH_PROFILE").is_ok() {
                for (label, t, k) in wgpu_ddpm::bench::profile(gpu, &prog, 2) {
                    println!("  {label:<40} {:>9.2} ms x{k}", t * 1e3);
                }
            }
            b.report(
                "self_attention",
                &format!("{case} fwd+bwd"),
                &prog,
                3.0 * self_attention_flops(&s),
                0.0,
            );
        }
    }
}
