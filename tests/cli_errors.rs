//! What a user sees for broken input and unusual runs (issue 12): every case ends in a clear
//! message that names the file or flag, never in wrong output with exit 0.

use std::path::{Path, PathBuf};
use std::process::Command;

use wgpu_ddpm::checkpoint::Checkpoint;
use wgpu_ddpm::gpu::Gpu;
use wgpu_ddpm::model::nets::activations;
use wgpu_ddpm::model::network::{NetConfig, NetKind};

#[path = "common/cli.rs"]
mod cli_common;
use cli_common::{bin, on_checkpoint, run, sample_ddim, TINY};

fn tmp(name: &str) -> PathBuf {
    cli_common::tmp("err", name)
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/torch_unet_tiny.safetensors")
}

/// A 5-step sample grid keeps the runs that finish short.
const FAST_GRID: [&str; 2] = ["--sample-steps", "5"];

/// `train` on the tiny network with the fast grid, then `extra`.
fn train(dir: &Path, extra: &[&str]) -> (bool, String) {
    cli_common::train(dir, &[&FAST_GRID[..], extra].concat())
}

#[test]
fn nan_weights_are_refused_naming_file_and_tensor() {
    let dir = tmp("nan");
    let mut ck = Checkpoint::load(&fixture()).unwrap();
    ck.tensors.get_mut("down2.convs.3.weight").unwrap().1[5] = f32::NAN;
    ck.tensors.get_mut("up1.mlp.0.bias").unwrap().1[0] = f32::INFINITY;
    let bad = dir.join("bad.safetensors");
    ck.save(&bad).unwrap();
    let b = bad.to_str().unwrap();
    for (command, count) in [("sample", "1"), ("eval", "2")] {
        let (ok, text) = on_checkpoint(command, b, &["--image-size", "8", "--count", count]);
        assert!(
            !ok && text.contains(b) && text.contains("down2.convs.3.weight"),
            "{text}"
        );
    }
    let (ok, text) = train(&dir, &["--steps", "1", "--resume", b]);
    assert!(
        !ok && text.contains(b) && text.contains("holds NaN"),
        "{text}"
    );
}

#[test]
fn eval_counts_every_image_and_scores_fixed_timesteps() {
    let f = fixture();
    let ck = f.to_str().unwrap();
    let base = ["eval", "--checkpoint", ck, "--image-size", "8", "-T", "20"];
    let (ok, text) = run(&[&base[..], &["--count", "0"]].concat());
    assert!(!ok && text.contains("--count"), "{text}");
    // 5 images in batches of 2: two full batches and a batch of one.
    let (ok, text) = run(&[&base[..], &["--count", "5", "--batch", "2"]].concat());
    assert!(ok && text.contains("over 5 images"), "{text}");
    let (ok, text) = run(&[&base[..], &["--count", "5", "--t", "3", "--t", "20"]].concat());
    assert!(ok, "{text}");
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("eval:")).collect();
    assert!(
        lines.len() == 2 && lines[0].contains("(t 3,") && lines[1].contains("(t 20,"),
        "{text}"
    );
    let (ok, text) = run(&[&base[..], &["--t", "21"]].concat());
    assert!(
        !ok && text.contains("--t 21") && text.contains("1..=20"),
        "{text}"
    );
}

/// The smallest image size (a multiple of 4) at which one image of the seed U-Net with
/// channels 64,128,256 has an activation larger than the adapter `train` will pick allows
/// in one storage binding, and that limit in MiB.
fn too_large_for_adapter() -> (usize, u64) {
    let limit = Gpu::new().unwrap().max_binding_elems();
    let largest = |s: usize| {
        let cfg = NetConfig {
            channels: vec![64, 128, 256],
            ..NetConfig::for_net(NetKind::Seed000, 1, s)
        };
        activations(&cfg).largest
    };
    let size = (1..).map(|i| 4 * i).find(|s| largest(*s) > limit).unwrap();
    (size, (limit * 4) >> 20)
}

#[test]
fn train_refuses_nothing_to_do_and_bad_sizes() {
    let dir = tmp("zero");
    let (ok, text) = train(&dir, &["--steps", "0"]);
    assert!(!ok && text.contains("--steps 0"), "{text}");
    assert!(!dir.join("checkpoint.safetensors").exists());
    let d = dir.to_str().unwrap();
    let (ok, text) = run(&["train", "--image-size", "0", "--out", d, "--steps", "1"]);
    assert!(
        !ok && text.contains("--image-size 0") && text.contains("positive multiple of 4"),
        "{text}"
    );
    // Built-in data at a size whose largest activation of one image exceeds this adapter's
    // storage binding limit (lavapipe's 128 MiB, SwiftShader's 1 GiB, whatever a GPU has):
    // refused before any image is made, naming the limit and what would fit.
    let (size, limit_mib) = too_large_for_adapter();
    let size = size.to_string();
    let args = [
        "--channels",
        "64,128,256",
        "--batch",
        "1",
        "--out",
        d,
        "--steps",
        "1",
    ];
    let (ok, text) = run(&[&["train", "--image-size", &size][..], &args].concat());
    assert!(
        !ok && text.contains(&format!("max storage binding is {limit_mib} MiB"))
            && text.contains(&format!("no batch fits at {size}x{size}"))
            && text.contains("largest --image-size that fits at batch 1"),
        "{text}"
    );
    assert!(!text.contains("memory allocation"), "{text}");
    let (ok, text) = run(&["train", "--lr", "NaN", "--out", d, "--steps", "1"]);
    assert!(
        !ok && text.contains("--lr must be a positive finite number"),
        "{text}"
    );
    let (ok, text) = sample_ddim("x", "0", &[]);
    assert!(
        !ok && text.contains("at least 1") && !text.contains("18446744073709551615"),
        "{text}"
    );
}

#[test]
fn divergence_says_no_checkpoint_was_written() {
    let dir = tmp("diverge");
    let (ok, text) = train(&dir, &["--steps", "6", "--lr", "1e30", "--log-every", "2"]);
    assert!(!ok && text.contains("diverged"), "{text}");
    assert!(
        text.contains("No checkpoint was written") && !text.contains("is kept"),
        "{text}"
    );
    assert!(!dir.join("checkpoint.safetensors").exists(), "{text}");
}

#[test]
fn resume_refuses_a_changed_meaning_and_records_other_changes() {
    let dir = tmp("resume");
    let (ok, text) = train(&dir, &["--steps", "2", "--log-every", "1"]);
    assert!(ok, "{text}");
    let mut other_t: Vec<&str> = vec!["train", "--out", dir.to_str().unwrap()];
    other_t.extend(TINY.iter().map(|s| if *s == "20" { "30" } else { s }));
    other_t.extend(FAST_GRID);
    other_t.extend(["--steps", "3", "--resume"]);
    let (ok, text) = run(&other_t);
    assert!(
        !ok && text.contains("t_max: checkpoint 20 vs now 30"),
        "{text}"
    );
    let (ok, text) = train(
        &dir,
        &["--steps", "3", "--resume", "--lr", "0.002", "--seed", "5"],
    );
    assert!(ok && text.contains("warning: resuming with lr"), "{text}");
    assert!(text.contains("warning: resuming with seed"), "{text}");
    let cfg = std::fs::read_to_string(dir.join("config.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&cfg).unwrap();
    let change = &v["changed_on_resume"]["step 2"];
    assert!(
        change["lr"]["checkpoint"].as_f64().unwrap() < 0.0011,
        "{cfg}"
    );
    assert!(change["lr"]["now"].as_f64().unwrap() > 0.0019, "{cfg}");
    assert_eq!(change["seed"]["now"], 5, "{cfg}");
}

#[test]
fn messages_name_the_file() {
    let dir = tmp("files");
    // A 30x30 IDX image file.
    let idx = dir.join("odd-images-idx3-ubyte");
    let mut bytes = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 30, 0, 0, 0, 30];
    bytes.extend(vec![0u8; 2 * 30 * 30]);
    std::fs::write(&idx, bytes).unwrap();
    let p = idx.to_str().unwrap();
    let out = dir.join("run");
    let (ok, text) = run(&[
        "train",
        "--data",
        p,
        "--out",
        out.to_str().unwrap(),
        "--steps",
        "1",
    ]);
    assert!(
        !ok && text.contains(p) && text.contains("multiple of 4"),
        "{text}"
    );
    // A safetensors file that is not a seed U-Net.
    let mut ck = Checkpoint::default();
    ck.insert("foo", &[2], vec![1.0, 2.0]);
    let other = dir.join("other.safetensors");
    ck.save(&other).unwrap();
    let o = other.to_str().unwrap();
    let (ok, text) = run(&["sample", "--checkpoint", o, "--image-size", "8"]);
    assert!(
        !ok && text.contains(o) && text.contains("not a seed U-Net"),
        "{text}"
    );
    // A run folder that cannot be written: a read-only folder, or /sys where root ignores
    // the mode bits.
    let ro = dir.join("readonly");
    std::fs::create_dir_all(&ro).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    let writable = std::fs::write(ro.join("probe"), b"").is_ok();
    let target = if writable {
        PathBuf::from("/sys")
    } else {
        ro.clone()
    };
    let t = target.to_str().unwrap();
    let (ok, text) = run(&["train", "--out", t, "--steps", "1", "--channels", "4,6,8"]);
    assert!(
        !ok && text.contains(t) && text.contains("not writable"),
        "{text}"
    );
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn kill_9_keeps_every_metrics_row_the_checkpoint_covers() {
    let dir = tmp("kill");
    let mut args: Vec<&str> = vec!["train", "--out", dir.to_str().unwrap()];
    args.extend(TINY);
    args.extend(FAST_GRID);
    // --log-every does not divide --checkpoint-every.
    args.extend([
        "--steps",
        "100000",
        "--log-every",
        "1000",
        "--checkpoint-every",
        "3",
    ]);
    let mut child = bin()
        .args(&args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let ckpt = dir.join("checkpoint.safetensors");
    let start = std::time::Instant::now();
    while !ckpt.exists() || start.elapsed().as_secs_f64() < 1.0 {
        assert!(
            start.elapsed().as_secs() < 120,
            "no checkpoint within 120 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let step: u64 = Checkpoint::load(&ckpt).unwrap().metadata["step"]
        .parse()
        .unwrap();
    let rows = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let steps: Vec<u64> = rows
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert!(step >= 3);
    for s in 1..=step {
        assert!(
            steps.contains(&s),
            "step {s} missing from metrics.csv (checkpoint at {step}):\n{rows}"
        );
    }
}

#[test]
fn ctrl_c_during_the_final_sample_grid_stops_promptly() {
    let dir = tmp("ctrlc");
    let args = [
        "train",
        "--out",
        dir.to_str().unwrap(),
        "--channels",
        "4,6,8",
        "--batch",
        "4",
        "--image-size",
        "8",
        "--steps",
        "1",
        "-T",
        "1000",
        "--samples",
        "64",
        "--sample-steps",
        "1000",
    ];
    let mut child = bin()
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // loss.png is written with the final checkpoint, just before the grid is drawn.
    let start = std::time::Instant::now();
    while !dir.join("loss.png").exists() {
        assert!(
            start.elapsed().as_secs() < 120,
            "no checkpoint within 120 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the grid was drawn too fast to interrupt"
    );
    let sent = std::time::Instant::now();
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert!(
        sent.elapsed().as_secs_f64() < 2.0,
        "took {:?} to stop",
        sent.elapsed()
    );
    assert_eq!(status.code(), Some(130));
    assert!(dir.join("checkpoint.safetensors").exists());
    assert!(!dir.join("samples.png").exists());
}

#[test]
fn memory_estimates_shrink_with_size_and_name_what_fits() {
    use wgpu_ddpm::model::network::{NetConfig, NetKind};
    use wgpu_ddpm::train::memory::{largest_size, train_bytes};
    // The seed U-Net (D = 100), unconditional, at the CPU widths on 1x1024x1024 images.
    let net = NetConfig {
        channels: vec![16, 32, 64],
        ..NetConfig::for_net(NetKind::Seed000, 1, 1024)
    };
    let big = train_bytes(&net, 16);
    // At least the activations the crash needed (41.9 GB for data was the host side;
    // the step itself is far larger than any adapter's memory).
    assert!(big > 16 * 1024 * 1024 * 4 * 48, "{big}");
    assert_eq!(train_bytes(&net, 32), 2 * big);
    let s = largest_size(&net, 16, 1 << 30);
    assert!(s > 0 && s < 1024 && s.is_multiple_of(4), "{s}");
    let at = |size| {
        train_bytes(
            &NetConfig {
                image_size: size,
                ..net.clone()
            },
            16,
        )
    };
    assert!(at(s) <= 1 << 30 && at(s + 4) > 1 << 30);
    assert_eq!(largest_size(&net, 16, 0), 0);
}
