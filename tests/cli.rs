//! The command line end to end on a tiny network: train, resume, sample, eval, and the
//! errors a user sees for bad input.

#[path = "common/cli.rs"]
mod cli_common;
use cli_common::{bin, on_checkpoint, run, sample_ddim, train};

fn tmp(name: &str) -> std::path::PathBuf {
    cli_common::tmp("cli", name)
}

#[test]
fn train_resume_sample_eval() {
    let dir = tmp("run");
    let both_runs = ["--log-every", "2", "--ema", "0.9"];
    let (ok, text) = train(
        &dir,
        &[&both_runs[..], &["--steps", "4", "--checkpoint-every", "2"]].concat(),
    );
    assert!(ok, "{text}");
    for f in [
        "checkpoint.safetensors",
        "samples.png",
        "loss.png",
        "metrics.csv",
        "config.json",
    ] {
        assert!(dir.join(f).exists(), "{f} missing after training:\n{text}");
    }
    let rows = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    assert_eq!(rows.lines().count(), 5, "{rows}");

    let (ok, text) = train(
        &dir,
        &[&both_runs[..], &["--steps", "6", "--resume"]].concat(),
    );
    assert!(ok && text.contains("resumed at step 4"), "{text}");
    let rows = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    assert_eq!(rows.lines().count(), 7, "{rows}");

    let ck = dir.join("checkpoint.safetensors");
    let c = ck.to_str().unwrap();
    let out = dir.join("grid.png");
    let o = out.to_str().unwrap();
    let grid = [
        "--count", "3", "--batch", "2", "--out", o, "--strip", "4", "--ema",
    ];
    let (ok, text) = sample_ddim(c, "5", &grid);
    assert!(ok, "{text}");
    // 8x8 images are scaled up to at least 64 px each (3 images, titled).
    let img = image::open(&out).unwrap();
    assert!(
        img.width() >= 3 * 64 && img.height() >= 64,
        "{:?}",
        (img.width(), img.height())
    );
    let chart = image::open(dir.join("loss.png")).unwrap();
    assert_eq!(
        (chart.width(), chart.height()),
        (800, 450),
        "loss chart size"
    );
    assert!(dir.join("grid.strip.png").exists(), "{text}");

    let eval = ["--image-size", "8", "--count", "8", "--batch", "4"];
    let (ok, text) = on_checkpoint("eval", c, &eval);
    assert!(ok && text.contains("mean noise-prediction MSE"), "{text}");
    let mse: f64 = text
        .split("MSE ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(mse.is_finite() && mse > 0.0 && mse < 10.0, "{text}");

    // The quality number: trains and caches the classifier beside the checkpoint, then
    // reuses it.
    let quality = [
        "--count",
        "8",
        "--classifier-steps",
        "10",
        "--sample-steps",
        "4",
    ];
    let (ok, text) = on_checkpoint("quality", c, &quality);
    assert!(
        ok && text.contains("real vs real") && text.contains("not Inception FID"),
        "{text}"
    );
    assert!(
        dir.join("quality_classifier.safetensors").exists(),
        "{text}"
    );
    let (ok, text) = on_checkpoint("quality", c, &quality);
    assert!(ok && text.contains("using the cached classifier"), "{text}");
}

#[test]
fn class_conditional_train_and_guided_sample() {
    let dir = tmp("cond");
    let d = dir.to_str().unwrap();
    let args = [
        "train",
        "--steps",
        "2",
        "--out",
        d,
        "--cond",
        "--samples",
        "5",
        "--channels",
        "4,6,8",
        "--batch",
        "4",
        "-T",
        "20",
        "--image-size",
        "8",
    ];
    let (ok, text) = run(&args);
    assert!(ok, "{text}");
    let ck = dir.join("checkpoint.safetensors");
    let out = dir.join("seven.png");
    let c = ck.to_str().unwrap();
    let (ok, text) = on_checkpoint(
        "sample",
        c,
        &[
            "--count",
            "2",
            "--class",
            "4",
            "--guidance",
            "2",
            "--out",
            out.to_str().unwrap(),
            "--strip",
            "0",
        ],
    );
    assert!(ok && out.exists(), "{text}");
    let (ok, text) = on_checkpoint(
        "sample",
        c,
        &["--class", "5", "--out", out.to_str().unwrap()],
    );
    assert!(
        !ok && text.contains("outside the trained classes"),
        "{text}"
    );
    // Builtin data has 5 classes: a full grid is one row per class.
    let grid = dir.join("rows.png");
    let g = grid.to_str().unwrap();
    let (ok, text) = on_checkpoint("sample", c, &["--count", "10", "--out", g, "--strip", "0"]);
    assert!(ok, "{text}");
    assert!(text.contains("wrote 10 samples"), "{text}");
}

#[test]
fn bad_input_gets_clear_errors() {
    let dir = tmp("bad");
    let d = dir.to_str().unwrap();
    let (ok, text) = run(&["train", "--image-size", "30", "--out", d, "--steps", "1"]);
    assert!(!ok && text.contains("multiple of 4"), "{text}");
    let with_batch = |b| {
        run(&[
            "train",
            "--batch",
            b,
            "--out",
            d,
            "--steps",
            "1",
            "--channels",
            "4,6,8",
        ])
    };
    let (ok, text) = with_batch("0");
    assert!(
        !ok && text.contains("batch size must be at least 1"),
        "{text}"
    );
    let (ok, text) = with_batch("100000");
    assert!(!ok && text.contains("largest batch that fits"), "{text}");
    let (ok, text) = run(&["train", "--channels", "4,6", "--out", d, "--steps", "1"]);
    assert!(!ok && text.contains("three numbers"), "{text}");
    let (ok, text) = run(&["sample", "--checkpoint", "/no/such.safetensors"]);
    assert!(!ok && text.contains("/no/such.safetensors"), "{text}");
    let (ok, text) = run(&["train", "--data", "/no/such/dir", "--out", d]);
    assert!(!ok && text.contains("/no/such/dir"), "{text}");
    let (ok, text) = run(&["train", "--preset", "mnist", "--out", d]);
    assert!(!ok && text.contains("--data"), "{text}");
    let (ok, text) = run(&["train", "--preset", "nope", "--out", d]);
    assert!(!ok && text.contains("unknown --preset"), "{text}");
    let (ok, text) = run(&["info", "--adapter", "no-such-gpu-name"]);
    assert!(!ok && text.contains("no adapter name contains"), "{text}");
    let (ok, text) = on_checkpoint("sample", "x", &["--sampler", "ddim", "--eta", "2"]);
    assert!(!ok && text.contains("eta must be in [0, 1]"), "{text}");
    let (ok, text) = sample_ddim("x", "0", &[]);
    assert!(!ok && text.contains("DDIM steps"), "{text}");
}

#[test]
fn no_adapter_says_how_to_install_a_driver() {
    let out = bin()
        .args(["info"])
        .env("VK_ICD_FILENAMES", "/nonexistent.json")
        .env("VK_DRIVER_FILES", "/nonexistent.json")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(text.contains("mesa-vulkan-drivers"), "{text}");
}

#[test]
fn quality_every_logs_rows_and_a_chart_panel() {
    let dir = tmp("quality");
    let (ok, text) = train(
        &dir,
        &[
            "--steps",
            "4",
            "--log-every",
            "2",
            "--quality-every",
            "2",
            "--quality-count",
            "8",
        ],
    );
    assert!(ok && text.contains("quality frechet"), "{text}");
    let csv = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let quality_steps: Vec<&str> = csv
        .lines()
        .filter(|l| l.split(',').nth(4).is_some_and(|f| !f.is_empty()) && !l.starts_with("step"))
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(quality_steps, ["2", "4"], "{csv}");
    let chart = image::open(dir.join("loss.png")).unwrap();
    assert_eq!(chart.height(), 870, "the chart has a quality panel");
}
