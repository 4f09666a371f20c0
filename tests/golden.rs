//! Interop with real PyTorch: each network at a small configuration on fixed weights and
//! inputs against what PyTorch computed in float64: the eval-mode output, one train-mode
//! forward (BatchNorm batch statistics), its MSE loss, the gradient of every parameter and
//! (with BatchNorm, seeds 001 and 004) the running statistics after that forward. The seed
//! U-Net's fixture is tests/fixtures/torch_unet_golden.safetensors (scripts/make_torch_golden.py,
//! weights in torch_unet_tiny.safetensors); the seeds' own networks have
//! tests/fixtures/golden_seed00N.safetensors (scripts/make_seed_goldens.py, weights inside,
//! described in docs/seed_networks.md).

use wgpu_ddpm::checkpoint::Checkpoint;
use wgpu_ddpm::gpu::{Gpu, Program};
use wgpu_ddpm::kernels::time_embedding::{time_encoding, time_encoding_cpu, TimeEncoding};
use wgpu_ddpm::model::checkpoint_io::config_of;
use wgpu_ddpm::model::graph::Graph;
use wgpu_ddpm::model::network::{Model, NetConfig, NetKind};

#[path = "common/cli.rs"]
mod cli_common;
#[path = "common/train_pass.rs"]
mod train_pass;
use train_pass::train_pass;

const N: usize = 3;
const S: usize = 8;

/// tests/fixtures under `CARGO_MANIFEST_DIR` as set at run time (cargo sets it; the GPU check
/// bundle sets it to its own folder), else under the folder the crate was built in.
fn fixtures_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or(env!("CARGO_MANIFEST_DIR").into()),
    )
    .join("tests/fixtures")
}

fn fixture(name: &str) -> Checkpoint {
    let p = fixtures_dir().join(name);
    Checkpoint::load(&p).unwrap()
}

/// Relative L2 error ||got - want|| / ||want|| of one tensor must be at most `bound`
/// (`Bound::rel`).
fn close(what: &str, got: &[f32], want: &[f32], bound: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let err: f64 = got
        .iter()
        .zip(want)
        .map(|(g, w)| (*g as f64 - *w as f64).powi(2))
        .sum::<f64>()
        .sqrt();
    let norm: f64 = want.iter().map(|w| (*w as f64).powi(2)).sum::<f64>().sqrt();
    let rel = err / norm.max(1e-12);
    if std::env::var_os("GOLDEN_REPORT").is_some() {
        eprintln!("golden {what}: relative error {rel:.3e} (bound {bound:.3e})");
    }
    assert!(
        rel <= bound,
        "{what}: relative error {rel:.3e} against PyTorch (> {bound:.3e})"
    );
}

/// How far a whole network may be from PyTorch's float64 result, per tensor, as a relative
/// L2 error (docs/tolerances.md): f32 rounding through its reductions, plus what the time
/// encoding's sin and cos contribute. WGSL lets sin and cos be 2^-11 off, which no
/// whole-network bound tight enough to catch a wrong gradient could absorb; so the
/// encoding's error on this adapter, for these t, is measured with the same kernel the
/// network runs (tests/kernels/time_embedding.rs holds that kernel to WGSL's bound), and
/// the network's sensitivity to it scales it.
struct Bound {
    /// The time encoding's worst absolute error on this adapter for the fixture's t.
    encoding_err: f64,
}

/// f32 rounding: the reductions here sum at most n = 256 terms (weight gradients over
/// N*H*W = 192 positions, linear layers over <= 256 inputs); independent roundings leave
/// ~sqrt(n) U = 1e-6 relative per reduction, over the ~40 layers a gradient passes forward
/// and back, amplified up to ~5x where train-mode normalisation gradients subtract means:
/// 16 * 2^-24 * 40 * 5 = 2e-4. (Measured on lavapipe, whose sin and cos are accurate:
/// at most 8.5e-5, seed000's grad down2.mlp.2.bias.)
const ROUNDING: f64 = 2e-4;
/// Relative error of a gradient per unit of absolute error in the time encoding: measured
/// at most 5.6 on these fixtures (SwiftShader, whose encoding is 1.9e-4 off: seed000's
/// grad down2.mlp.2.bias 1.06e-3 from PyTorch), taken with a margin for other error
/// patterns.
const SENSITIVITY: f64 = 30.0;

impl Bound {
    fn new(gpu: &Gpu, cfg: &NetConfig, t: &[u32]) -> Self {
        let d = cfg.temb_dim;
        let (enc, d) = match cfg.net {
            NetKind::Seed000 => (TimeEncoding::Interleaved, d),
            NetKind::Seed001 => (
                TimeEncoding::Halves {
                    denom: (d / 2 - 1) as f64,
                },
                d,
            ),
            NetKind::Seed003 => (
                TimeEncoding::Halves {
                    denom: (d / 2) as f64,
                },
                d,
            ),
            NetKind::Seed002 | NetKind::Seed004 => (TimeEncoding::Fraction { t_max: cfg.t_max }, 1),
        };
        let tg = gpu.upload_u32(t, &[t.len()]);
        let out = gpu.zeros(&[t.len(), d]);
        let mut prog = Program::new();
        prog.push(time_encoding(gpu, enc, t.len(), d, &tg, &out));
        prog.run(gpu);
        let want = time_encoding_cpu(enc, t, d);
        let encoding_err = gpu
            .read(&out)
            .iter()
            .zip(&want)
            .map(|(g, w)| (*g as f64 - *w as f64).abs())
            .fold(0.0, f64::max);
        Self { encoding_err }
    }

    fn rel(&self) -> f64 {
        ROUNDING + SENSITIVITY * self.encoding_err
    }
}

#[test]
fn seed_unet_matches_pytorch_forward_and_gradients() {
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
    close("x", &x, &want("x"), 1e-7);
    close("target", &target, &want("target"), 1e-7);
    assert_eq!(want("t"), [1.0, 17.0, 999.0]);
    check(config_of(&weights, S).unwrap(), &weights, &golden);
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

/// A seed network's fixture: the weights are every tensor that is not an input, output,
/// gradient or later statistic.
fn check_seed(net: NetKind) {
    let golden = fixture(&format!("golden_{}.safetensors", net.name()));
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
    check(config(net, &golden), &weights, &golden);
}

/// Our network `cfg` with `weights` against PyTorch's results in `golden`.
fn check(cfg: NetConfig, weights: &Checkpoint, golden: &Checkpoint) {
    let gpu = Gpu::new().unwrap();
    let want = |n: &str| golden.tensors[n].1.clone();
    let shape = |n: &str| golden.tensors[n].0.clone();
    let model = Model::new(&gpu, &cfg, 0).unwrap();
    let t: Vec<u32> = want("t").iter().map(|v| *v as u32).collect();
    let bound = Bound::new(&gpu, &cfg, &t);
    let tol = bound.rel();
    model.load_checkpoint(&gpu, weights, false).unwrap();

    let xs = shape("x");
    let x = gpu.upload(&want("x"), &xs);
    let tg = gpu.upload_u32(&t, &[t.len()]);

    let mut g = Graph::new(&gpu, false);
    let xin = g.input(x.clone());
    let out = model.forward(&mut g, &xin, &tg);
    let mut prog = Program::new();
    prog.append(g.finish().forward);
    prog.run(&gpu);
    close("eval_out", &gpu.read(&out.val), &want("eval_out"), tol);

    let tgt = gpu.upload(&want("target"), &xs);
    let (out, loss) = train_pass(&gpu, &model, x, &tg, &tgt);
    close("train_out", &gpu.read(&out.val), &want("train_out"), tol);
    close("loss", &gpu.read(&loss), &want("loss"), tol);

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
    // ~1e-16 in float64); ours is f32 rounding noise, held to the bound times the whole
    // gradient.
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
                ours <= tol * total,
                "grad {name}: PyTorch's is zero, ours has norm {ours:.3e} (gradient norm {total:.3e})"
            );
        } else {
            close(&format!("grad {name}"), &got, &want, tol);
        }
    }

    if !golden.tensors.keys().any(|k| k.starts_with("after_train.")) {
        return; // the seed U-Net's fixture has no running statistics
    }
    let stats = gpu.read(&model.layout.stats.whole(&model.stats));
    for (name, _, got) in model.layout.stats.split(&stats) {
        close(
            &format!("running stat {name}"),
            &got,
            &want(&format!("after_train.{name}")),
            tol,
        );
    }
}

#[test]
fn seed001_matches_pytorch() {
    check_seed(NetKind::Seed001);
}

#[test]
fn seed002_matches_pytorch() {
    check_seed(NetKind::Seed002);
}

#[test]
fn seed003_matches_pytorch() {
    check_seed(NetKind::Seed003);
}

#[test]
fn seed004_matches_pytorch() {
    check_seed(NetKind::Seed004);
}

/// `eval --t` against PyTorch (tests/fixtures/torch_eval.json, scripts/make_torch_eval.py):
/// the same weights and 512 images, BatchNorm in eval mode, at fixed timesteps. Both sides
/// draw their own noise, so ours is averaged over seeds 0..8 (PyTorch's over 32 draws); the
/// means must agree within 3% at every t.
#[test]
fn eval_at_fixed_t_matches_pytorch_within_3_percent() {
    let fix = fixtures_dir();
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
        let mut cmd = cli_common::bin();
        cmd.args([
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
