//! Interop with real PyTorch: the seed U-Net on the tiny fixture weights against what
//! PyTorch computed (tests/fixtures/torch_unet_golden.safetensors, written by
//! scripts/make_torch_golden.py in float64): the eval-mode output, one train-mode forward
//! (BatchNorm batch statistics), its MSE loss and the gradients of every parameter.

use std::path::Path;

use wgpu_ddpm::checkpoint::Checkpoint;
use wgpu_ddpm::gpu::{Gpu, Program};
use wgpu_ddpm::model::checkpoint_io::config_of;
use wgpu_ddpm::model::graph::Graph;
use wgpu_ddpm::model::unet::UNet;

const N: usize = 3;
const S: usize = 8;

fn fixture(name: &str) -> Checkpoint {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    Checkpoint::load(&p).unwrap()
}

/// Relative L2 error ||got - want|| / ||want|| of one tensor must be at most 1e-4.
fn close(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let err: f64 = got
        .iter()
        .zip(want)
        .map(|(g, w)| (*g as f64 - *w as f64).powi(2))
        .sum::<f64>()
        .sqrt();
    let norm: f64 = want.iter().map(|w| (*w as f64).powi(2)).sum::<f64>().sqrt();
    let rel = err / norm.max(1e-12);
    assert!(
        rel <= 1e-4,
        "{what}: relative error {rel:.3e} against PyTorch (> 1e-4)"
    );
}

#[test]
fn seed_unet_matches_pytorch_forward_and_gradients() {
    let gpu = Gpu::new().unwrap();
    let weights = fixture("torch_unet_tiny.safetensors");
    let golden = fixture("torch_unet_golden.safetensors");
    let want = |n: &str| golden.tensors[n].1.clone();
    // The inputs are formulas (see the script); they must be the ones PyTorch saw.
    let x: Vec<f32> = (0..N * S * S)
        .map(|i| (0.37 * i as f64 + 0.1).sin() as f32)
        .collect();
    let target: Vec<f32> = (0..N * S * S)
        .map(|i| ((0.23 * i as f64).cos() * 0.8) as f32)
        .collect();
    close("x", &x, &want("x"));
    close("target", &target, &want("target"));
    let t = [1u32, 17, 999];
    assert_eq!(want("t"), t.map(|v| v as f32));

    let cfg = config_of(&weights, S).unwrap();
    let net = UNet::new(&gpu, &cfg, 0).unwrap();
    net.load_checkpoint(&gpu, &weights, false).unwrap();
    let xg = gpu.upload(&x, &[N, 1, S, S]);
    let tg = gpu.upload_u32(&t, &[N]);

    // Eval mode: BatchNorm uses the running statistics.
    let mut g = Graph::new(&gpu, false);
    let xin = g.input(xg.clone());
    let out = net.forward(&mut g, &xin, &tg);
    let mut prog = Program::new();
    prog.append(g.finish().forward);
    prog.run(&gpu);
    close("eval_out", &gpu.read(&out.val), &want("eval_out"));

    // Train mode: batch statistics, MSE against target, backward.
    let tgt = gpu.upload(&target, &[N, 1, S, S]);
    let mut g = Graph::new(&gpu, true);
    let xin = g.input(xg);
    let out = net.forward(&mut g, &xin, &tg);
    let loss = g.mse(&out, &tgt);
    let tape = g.finish();
    let mut prog = Program::new();
    prog.clear(&net.layout.params.whole(&net.grads));
    prog.append(tape.clear);
    prog.append(tape.forward);
    prog.append(tape.backward);
    prog.run(&gpu);
    close("train_out", &gpu.read(&out.val), &want("train_out"));
    close("loss", &gpu.read(&loss), &want("loss"));
    let grads = gpu.read(&net.layout.params.whole(&net.grads));
    let split = net.layout.params.split(&grads);
    assert_eq!(
        split.len(),
        golden
            .tensors
            .keys()
            .filter(|k| k.starts_with("grad."))
            .count(),
        "PyTorch and we disagree on the parameter list"
    );
    // A conv bias feeding a train-mode BatchNorm has an exactly zero gradient (PyTorch's is
    // ~1e-17 in float64); ours is f32 rounding noise, held to 1e-4 of the whole gradient.
    let total = grads.iter().map(|g| (*g as f64).powi(2)).sum::<f64>().sqrt();
    for (name, _, got) in split {
        let want = want(&format!("grad.{name}"));
        let norm = want.iter().map(|w| (*w as f64).powi(2)).sum::<f64>().sqrt();
        if norm < 1e-12 {
            let ours = got.iter().map(|g| (*g as f64).powi(2)).sum::<f64>().sqrt();
            assert!(
                ours <= 1e-4 * total,
                "grad {name}: PyTorch's is zero, ours has norm {ours:.3e} (gradient norm {total:.3e})"
            );
        } else {
            close(&format!("grad {name}"), &got, &want);
        }
    }
}
