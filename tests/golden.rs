//! Interop with real PyTorch: each network at a small configuration on fixed weights and
//! inputs against what PyTorch computed in float64: the eval-mode output, one train-mode
//! forward (BatchNorm batch statistics), its MSE loss, the gradient of every parameter and
//! (with BatchNorm, seeds 001 and 004) the running statistics after that forward. The
//! comparison and its bound are `wgpu_ddpm::model::golden`, which the browser page runs too.
//! The seed U-Net's fixture is tests/fixtures/torch_unet_golden.safetensors
//! (scripts/make_torch_golden.py, weights in torch_unet_tiny.safetensors); the seeds' own
//! networks have tests/fixtures/golden_seed00N.safetensors (scripts/make_seed_goldens.py,
//! weights inside, described in docs/seed_networks.md).

use wgpu_ddpm::gpu::Gpu;
use wgpu_ddpm::model::golden::{compare_blocking, Fixture};
use wgpu_ddpm::model::network::NetKind;

#[path = "common/cli.rs"]
mod cli_common;

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

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixtures_dir().join(name)).unwrap()
}

/// Every tensor of the fixture within the bound (`GOLDEN_REPORT` set prints them all).
fn check(fx: &Fixture) {
    let gpu = Gpu::new().unwrap();
    let report = compare_blocking(&gpu, fx).unwrap();
    if std::env::var_os("GOLDEN_REPORT").is_some() {
        for c in &report.checks {
            eprintln!(
                "golden {}: relative error {:.3e} (bound {:.3e})",
                c.what, c.err, c.bound
            );
        }
    }
    let fails = report.failures();
    assert!(fails.is_empty(), "{}", fails.join("\n"));
}

#[test]
fn seed_unet_matches_pytorch_forward_and_gradients() {
    let fx = Fixture::seed_unet(
        &fixture("torch_unet_tiny.safetensors"),
        &fixture("torch_unet_golden.safetensors"),
        S,
    )
    .unwrap();
    // The inputs are formulas (see the script); they must be the ones PyTorch saw.
    let x: Vec<f32> = (0..N * S * S)
        .map(|i| (0.37 * i as f64 + 0.1).sin() as f32)
        .collect();
    let target: Vec<f32> = (0..N * S * S)
        .map(|i| ((0.23 * i as f64).cos() * 0.8) as f32)
        .collect();
    for (name, want) in [("x", x), ("target", target)] {
        let got = fx.tensor(name).unwrap();
        assert_eq!(got.len(), want.len(), "{name}: length");
        let worst = got
            .iter()
            .zip(&want)
            .map(|(g, w)| (g - w).abs())
            .fold(0.0, f32::max);
        assert!(
            worst <= 1e-7,
            "{name}: the fixture's input is {worst:e} off its formula"
        );
    }
    assert_eq!(fx.tensor("t").unwrap(), [1.0, 17.0, 999.0]);
    check(&fx);
}

fn check_seed(net: NetKind) {
    let fx = Fixture::seed(net, &fixture(&format!("golden_{}.safetensors", net.name()))).unwrap();
    check(&fx);
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
