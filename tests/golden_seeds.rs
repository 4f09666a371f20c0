//! Interop with real PyTorch for the seeds' own networks: each network at a small
//! configuration on fixed weights and inputs against what PyTorch computed
//! (tests/fixtures/golden_seed00N.safetensors, written by scripts/make_seed_goldens.py in
//! float64 from the classes in scripts/seed_nets.py): the eval-mode output, one train-mode
//! forward, its MSE loss, the gradient of every parameter and (with BatchNorm) the running
//! statistics after that forward. docs/seed_networks.md describes the fixtures.

use std::path::Path;

use wgpu_ddpm::checkpoint::Checkpoint;
use wgpu_ddpm::gpu::{Gpu, Program};
use wgpu_ddpm::model::graph::Graph;
use wgpu_ddpm::model::network::{Model, NetConfig, NetKind};

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

/// Our configuration for the PyTorch constructor arguments the fixture records.
fn config(net: NetKind, ck: &Checkpoint) -> NetConfig {
    let md = |k: &str| -> serde_json::Value { serde_json::from_str(&ck.metadata[k]).unwrap() };
    let (c, shape) = (md("config"), md("input_shape"));
    let u = |v: &serde_json::Value| v.as_u64().unwrap() as usize;
    let list = |v: &serde_json::Value| v.as_array().unwrap().iter().map(u).collect::<Vec<_>>();
    let mut cfg = NetConfig::for_net(net, u(&shape[1]), u(&shape[2]));
    match net {
        NetKind::Seed001 => {
            cfg.channels = list(&c["channel_sequence"]);
            cfg.temb_dim = u(&c["time_dim"]);
        }
        NetKind::Seed002 => cfg.t_max = u(&c["T"]),
        NetKind::Seed003 => {
            assert_eq!(c["remove_deep_conv"], false, "we port the deep bottleneck");
            cfg.channels = vec![u(&c["base"])];
            cfg.temb_dim = u(&c["time_dim"]);
        }
        NetKind::Seed004 => {
            cfg.channels = list(&c["down_chs"]);
            cfg.t_max = u(&c["T"]);
        }
        NetKind::Seed000 => unreachable!("seed000 has tests/golden.rs"),
    }
    cfg
}

fn check(net: NetKind) {
    let gpu = Gpu::new().unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("golden_{}.safetensors", net.name()));
    let golden = Checkpoint::load(&path).unwrap();
    let want = |n: &str| golden.tensors[n].1.clone();
    let shape = |n: &str| golden.tensors[n].0.clone();
    let cfg = config(net, &golden);
    let model = Model::new(&gpu, &cfg, 0).unwrap();

    // The weights: every tensor that is not an input, output, gradient or later statistic.
    let mut weights = Checkpoint::default();
    let extra = ["x", "t", "target", "eval_out", "train_out", "loss"];
    for (name, (s, data)) in &golden.tensors {
        if !extra.contains(&name.as_str())
            && !name.starts_with("grad.")
            && !name.starts_with("after_train.")
        {
            weights.insert(name, s, data.clone());
        }
    }
    model.load_checkpoint(&gpu, &weights, false).unwrap();

    let xs = shape("x");
    let x = gpu.upload(&want("x"), &xs);
    let t: Vec<u32> = want("t").iter().map(|v| *v as u32).collect();
    let tg = gpu.upload_u32(&t, &[t.len()]);

    let mut g = Graph::new(&gpu, false);
    let xin = g.input(x.clone());
    let out = model.forward(&mut g, &xin, &tg);
    let mut prog = Program::new();
    prog.append(g.finish().forward);
    prog.run(&gpu);
    close("eval_out", &gpu.read(&out.val), &want("eval_out"));

    let tgt = gpu.upload(&want("target"), &xs);
    let mut g = Graph::new(&gpu, true);
    let xin = g.input(x);
    let out = model.forward(&mut g, &xin, &tg);
    let loss = g.mse(&out, &tgt);
    let tape = g.finish();
    let mut prog = Program::new();
    prog.clear(&model.layout.params.whole(&model.grads));
    prog.append(tape.clear);
    prog.append(tape.forward);
    prog.append(tape.backward);
    prog.run(&gpu);
    close("train_out", &gpu.read(&out.val), &want("train_out"));
    close("loss", &gpu.read(&loss), &want("loss"));

    let grads = gpu.read(&model.layout.params.whole(&model.grads));
    let split = model.layout.params.split(&grads);
    let torch_grads = golden
        .tensors
        .keys()
        .filter(|k| k.starts_with("grad."))
        .count();
    assert_eq!(
        split.len(),
        torch_grads,
        "PyTorch and we disagree on the parameter list"
    );
    // A conv bias feeding a train-mode BatchNorm has an exactly zero gradient (PyTorch's is
    // ~1e-16 in float64); ours is f32 rounding noise, held to 1e-4 of the whole gradient.
    let total = grads
        .iter()
        .map(|g| (*g as f64).powi(2))
        .sum::<f64>()
        .sqrt();
    for (name, _, got) in split {
        let want = want(&format!("grad.{name}"));
        let norm = want.iter().map(|w| (*w as f64).powi(2)).sum::<f64>().sqrt();
        if norm < 1e-12 * total.max(1.0) || norm < 1e-10 {
            let ours = got.iter().map(|g| (*g as f64).powi(2)).sum::<f64>().sqrt();
            assert!(
                ours <= 1e-4 * total,
                "grad {name}: PyTorch's is zero, ours has norm {ours:.3e} (gradient norm {total:.3e})"
            );
        } else {
            close(&format!("grad {name}"), &got, &want);
        }
    }

    let stats = gpu.read(&model.layout.stats.whole(&model.stats));
    for (name, _, got) in model.layout.stats.split(&stats) {
        close(
            &format!("running stat {name}"),
            &got,
            &want(&format!("after_train.{name}")),
        );
    }
}

#[test]
fn seed002_matches_pytorch() {
    check(NetKind::Seed002);
}
