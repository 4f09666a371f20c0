//! The attention graph ops (`Graph::tokens`, `self_attention`, `untokens`, and `linear` on
//! [n, L, C]) end to end: gradients of a tiny graph against finite differences of an f64 CPU
//! composition, and outputs and gradients against PyTorch's nn.MultiheadAttention
//! (tests/fixtures/torch_attention.safetensors, written by scripts/make_attention_fixture.py).

use wgpu_ddpm::checkpoint::Checkpoint;
use wgpu_ddpm::gpu::{Gpu, Program};
use wgpu_ddpm::kernels::attention::{attention_f64, AttentionShape};
use wgpu_ddpm::model::graph::{Graph, Var};

use crate::common::*;

/// x [n, c, h, w] -> tokens -> self-attention -> untokens, with its weights.
struct Case {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    heads: usize,
}

/// The weights in PyTorch's order: in_proj_weight, in_proj_bias, out_proj.weight,
/// out_proj.bias.
const WEIGHTS: [&str; 4] = [
    "in_proj_weight",
    "in_proj_bias",
    "out_proj.weight",
    "out_proj.bias",
];

impl Case {
    fn weight_shapes(&self) -> [Vec<usize>; 4] {
        let c = self.c;
        [vec![3 * c, c], vec![3 * c], vec![c, c], vec![c]]
    }

    fn x_shape(&self) -> [usize; 4] {
        [self.n, self.c, self.h, self.w]
    }

    /// y of the chain in f64: the CPU composition the GPU graph must match.
    fn forward_f64(&self, x: &[f64], wts: [&[f64]; 4]) -> Vec<f64> {
        let (n, c, l) = (self.n, self.c, self.h * self.w);
        let t = transpose(x, n, c, l);
        let qkv = linear_f64(&t, wts[0], wts[1], n * l, c, 3 * c);
        let s = AttentionShape {
            n,
            l,
            c,
            heads: self.heads,
        };
        let (_, o) = attention_f64(&s, &qkv);
        let a = linear_f64(&o, wts[2], wts[3], n * l, c, c);
        transpose(&a, n, l, c)
    }

    /// The GPU graph in training mode, with gradient buffers for x and every weight; returns
    /// (y, loss, [dx, d in_w, d in_b, d out_w, d out_b]).
    fn run_gpu(
        &self,
        gpu: &Gpu,
        x: &[f32],
        wts: &[Vec<f32>],
        target: &[f32],
    ) -> (Vec<f32>, f32, Vec<Vec<f32>>) {
        let var = |data: &[f32], shape: &[usize]| Var {
            val: gpu.upload(data, shape),
            grad: Some(gpu.zeros(shape)),
        };
        let xv = var(x, &self.x_shape());
        let shapes = self.weight_shapes();
        let wv: Vec<Var> = wts.iter().zip(&shapes).map(|(d, s)| var(d, s)).collect();
        let tg = gpu.upload(target, &self.x_shape());
        let mut g = Graph::new(gpu, true);
        let t = g.tokens(&xv);
        let a = g.self_attention(&t, self.heads, &wv[0], &wv[1], &wv[2], &wv[3]);
        let y = g.untokens(&a, self.h, self.w);
        let loss = g.mse(&y, &tg);
        let tape = g.finish();
        let mut prog = Program::new();
        prog.append(tape.clear);
        prog.append(tape.forward);
        prog.append(tape.backward);
        prog.run(gpu);
        let grads = std::iter::once(&xv)
            .chain(&wv)
            .map(|v| gpu.read(v.grad.as_ref().unwrap()))
            .collect();
        (gpu.read(&y.val), gpu.read(&loss)[0], grads)
    }
}

/// y[b, s, r] = x[b, r, s] for x [n, rows, cols].
fn transpose(x: &[f64], n: usize, rows: usize, cols: usize) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    for b in 0..n {
        for r in 0..rows {
            for s in 0..cols {
                y[(b * cols + s) * rows + r] = x[(b * rows + r) * cols + s];
            }
        }
    }
    y
}

/// x [m, k] w^T (w [n, k]) + b.
fn linear_f64(x: &[f64], w: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
    let mut y = vec![0.0; m * n];
    for r in 0..m {
        for o in 0..n {
            y[r * n + o] = b[o] + (0..k).map(|i| x[r * k + i] * w[o * k + i]).sum::<f64>();
        }
    }
    y
}

fn mse(y: &[f64], target: &[f32]) -> f64 {
    y.iter()
        .zip(target)
        .map(|(a, b)| (a - *b as f64).powi(2))
        .sum::<f64>()
        / y.len() as f64
}

#[test]
fn self_attention_graph_finite_difference() {
    // Odd sizes: L = 3 * 3 = 9 tokens (not a tile multiple), 4 heads of d = 3.
    let case = Case {
        n: 2,
        c: 12,
        h: 3,
        w: 3,
        heads: 4,
    };
    let gpu = gpu();
    let mut rng = HostRng::new(61);
    let x: Vec<f32> = rng.vec_normal(case.x_shape().iter().product());
    let wts: Vec<Vec<f32>> = case
        .weight_shapes()
        .iter()
        .map(|s| {
            rng.vec_normal(s.iter().product())
                .iter()
                .map(|v| 0.4 * v)
                .collect()
        })
        .collect();
    let target = rng.vec_normal(x.len());
    let (y, loss, grads) = case.run_gpu(&gpu, &x, &wts, &target);
    let w64: Vec<Vec<f64>> = wts.iter().map(|w| f64s(w)).collect();
    let x64 = f64s(&x);
    let want_y = case.forward_f64(&x64, [&w64[0], &w64[1], &w64[2], &w64[3]]);
    let want_y32: Vec<f32> = want_y.iter().map(|v| *v as f32).collect();
    assert_close("graph y", &y, &want_y32, 1e-5, 1e-5);
    assert_close(
        "graph loss",
        &[loss],
        &[mse(&want_y, &target) as f32],
        1e-6,
        1e-5,
    );
    // Each input perturbed in turn, the others held at their values.
    let inputs: Vec<Vec<f64>> = std::iter::once(x64).chain(w64).collect();
    let names = ["x", WEIGHTS[0], WEIGHTS[1], WEIGHTS[2], WEIGHTS[3]];
    for (which, name) in names.iter().enumerate() {
        let loss_of = |v: &[f64]| {
            let mut all = inputs.clone();
            all[which] = v.to_vec();
            mse(
                &case.forward_f64(&all[0], [&all[1], &all[2], &all[3], &all[4]]),
                &target,
            )
        };
        // Smooth: eps 1e-4 leaves truncation error ~1e-9; gradients are O(0.01 - 1).
        fd_check(
            &format!("graph fd {name}"),
            &grads[which],
            &inputs[which],
            1e-4,
            loss_of,
            2e-6,
            1e-4,
        );
    }
}

/// tests/fixtures under `CARGO_MANIFEST_DIR` as set at run time (cargo sets it; the GPU check
/// bundle sets it to its own folder), else under the folder the crate was built in.
fn fixtures_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or(env!("CARGO_MANIFEST_DIR").into()),
    )
    .join("tests/fixtures")
}

#[test]
fn self_attention_matches_pytorch() {
    let path = fixtures_dir().join("torch_attention.safetensors");
    let fx = Checkpoint::load(&path).unwrap();
    let get = |name: &str| fx.tensors[name].1.clone();
    let case = Case {
        n: 2,
        c: 12,
        h: 3,
        w: 2,
        heads: 4,
    };
    assert_eq!(fx.tensors["x"].0, case.x_shape(), "fixture x shape");
    let wts: Vec<Vec<f32>> = WEIGHTS.iter().map(|n| get(n)).collect();
    let (y, loss, grads) = case.run_gpu(&gpu(), &get("x"), &wts, &get("target"));
    // PyTorch computed in float64; ours is f32 throughout: relative rounding ~1e-6.
    assert_close("pytorch y", &y, &get("y"), 1e-5, 1e-4);
    assert_close("pytorch loss", &[loss], &get("loss"), 1e-6, 1e-5);
    let names = ["x", WEIGHTS[0], WEIGHTS[1], WEIGHTS[2], WEIGHTS[3]];
    for (got, name) in grads.iter().zip(names) {
        assert_close(
            &format!("pytorch grad {name}"),
            got,
            &get(&format!("grad.{name}")),
            1e-6,
            1e-4,
        );
    }
}
