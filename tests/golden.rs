//! Interop with real PyTorch: the seed U-Net on the tiny fixture weights against what
//! PyTorch computed (tests/fixtures/torch_unet_golden.safetensors, written by
//! scripts/make_torch_golden.py in float64): the eval-mode output, one train-mode forward
//! (BatchNorm batch statistics), its MSE loss and the gradients of every parameter.

use std::path::Path;

use wgpu_ddpm::checkpoint::Checkpoint;
use wgpu_ddpm::gpu::{Gpu, Program};
use wgpu_ddpm::model::checkpoint_io::config_of;
use wgpu_ddpm::model::graph::Graph;
use wgpu_ddpm::model::network::Model;

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
    let net = Model::new(&gpu, &cfg, 0).unwrap();
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
    let total = grads
        .iter()
        .map(|g| (*g as f64).powi(2))
        .sum::<f64>()
        .sqrt();
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

/// `eval --t` against PyTorch (tests/fixtures/torch_eval.json, scripts/make_torch_eval.py):
/// the same weights and 512 images, BatchNorm in eval mode, at fixed timesteps. Both sides
/// draw their own noise, so ours is averaged over seeds 0..8 (PyTorch's over 32 draws); the
/// means must agree within 3% at every t.
#[test]
fn eval_at_fixed_t_matches_pytorch_within_3_percent() {
    let fix = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let want: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fix.join("torch_eval.json")).unwrap())
            .unwrap();
    let ts: Vec<u64> = want["t"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let ck = fix.join("torch_unet_tiny.safetensors");
    let data = fix.join("eval8-images-idx3-ubyte");
    let mut sums = vec![0.0f64; ts.len()];
    const SEEDS: u64 = 8;
    for seed in 0..SEEDS {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_wgpu-ddpm"));
        cmd.env("XDG_RUNTIME_DIR", std::env::temp_dir()).args([
            "eval",
            "--checkpoint",
            ck.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--count",
            "512",
            "--seed",
            &seed.to_string(),
        ]);
        for t in &ts {
            cmd.args(["--t", &t.to_string()]);
        }
        let out = cmd.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("eval:")).collect();
        assert_eq!(lines.len(), ts.len(), "{text}");
        for ((line, t), sum) in lines.iter().zip(&ts).zip(&mut sums) {
            assert!(
                line.contains(&format!("(t {t},")) && line.contains("over 512 images"),
                "{line}"
            );
            let mse: f64 = line
                .split("MSE ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            *sum += mse;
        }
    }
    for ((t, sum), torch) in ts.iter().zip(sums).zip(want["mse"].as_array().unwrap()) {
        let (ours, torch) = (sum / SEEDS as f64, torch.as_f64().unwrap());
        let rel = (ours / torch - 1.0).abs();
        assert!(
            rel <= 0.03,
            "t {t}: ours {ours:.4} vs PyTorch {torch:.4} ({:.1}% apart)",
            rel * 100.0
        );
    }
}
