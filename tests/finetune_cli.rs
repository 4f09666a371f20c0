//! `finetune` and `edit` end to end on a tiny network: the input checkpoint is never
//! overwritten, a classifier reward without its classifier says so, and a fine-tuned
//! checkpoint loads in `sample`, `edit`, `eval` and `train --resume` like any other.

use std::path::Path;

#[path = "common/cli.rs"]
mod cli_common;
use cli_common::{on_checkpoint, sample_ddim, train};

/// `edit` of `image` into `out` with checkpoint `ck`: 2 steps, 2 images, then `extra`.
fn edit(ck: &str, image: &Path, out: &Path, extra: &[&str]) -> (bool, String) {
    let (image, out) = (image.to_str().unwrap(), out.to_str().unwrap());
    let args = [
        "--image", image, "--out", out, "--steps", "2", "--count", "2",
    ];
    on_checkpoint("edit", ck, &[&args[..], extra].concat())
}

#[test]
fn finetuned_checkpoints_load_everywhere() {
    let dir = cli_common::tmp("ft", "run");
    let (ok, text) = train(&dir, &["--steps", "2"]);
    assert!(ok, "{text}");
    let ck = dir.join("checkpoint.safetensors");
    let ft = dir.join("ft.safetensors");
    let (cks, fts) = (ck.to_str().unwrap(), ft.to_str().unwrap());
    let original = std::fs::read(&ck).unwrap();
    // The input checkpoint is never the output.
    let (ok, text) = on_checkpoint("finetune", cks, &["--reward", "brightness", "--out", cks]);
    assert!(!ok && text.contains("is the input checkpoint"), "{text}");
    let (ok, text) = on_checkpoint("finetune", cks, &["--reward", "class:3", "--out", fts]);
    // No classifier cached beside the checkpoint: the error says how to make one.
    assert!(
        !ok && text.contains("no classifier at") && text.contains("wgpu-ddpm quality"),
        "{text}"
    );
    let (ok, text) = on_checkpoint(
        "finetune",
        cks,
        &[
            "--reward",
            "brightness",
            "--out",
            fts,
            "--steps",
            "2",
            "--batch",
            "2",
            "--ddim-steps",
            "4",
            "-K",
            "2",
        ],
    );
    assert!(
        ok && text.contains("wrote the fine-tuned checkpoint"),
        "{text}"
    );
    // DPM-Solver++ 2M: two of its three steps recorded.
    let ft_dpm = dir.join("ft_dpm.safetensors");
    let dpm_run = |sampler| {
        let args = [
            "--reward",
            "brightness",
            "--steps",
            "1",
            "--batch",
            "2",
            "-K",
            "2",
            "--sampler-steps",
            "3",
            "--sampler",
            sampler,
            "--out",
        ];
        on_checkpoint(
            "finetune",
            cks,
            &[&args[..], &[ft_dpm.to_str().unwrap()]].concat(),
        )
    };
    let (ok, text) = dpm_run("dpm++2m");
    assert!(
        ok && text.contains("wrote the fine-tuned checkpoint") && ft_dpm.exists(),
        "{text}"
    );
    let (ok, text) = dpm_run("ddpm");
    assert!(!ok && text.contains("ddim or dpm++2m"), "{text}");
    assert_eq!(
        std::fs::read(&ck).unwrap(),
        original,
        "the input checkpoint changed"
    );
    let img = dir.join("s.png");
    let png = dir.join("e.png");
    let (ok, text) = edit(fts, &img, &png, &[]);
    assert!(
        !ok && text.contains("s.png"),
        "editing a missing image: {text}"
    );
    let png = dir.join("s.png");
    let p = png.to_str().unwrap();
    let (ok, text) = sample_ddim(fts, "4", &["--count", "2", "--out", p, "--strip", "0"]);
    assert!(ok && png.exists(), "{text}");
    let edited = dir.join("e.png");
    let (ok, text) = edit(
        fts,
        &png,
        &edited,
        &["--reward", "brightness", "--iters", "2"],
    );
    assert!(
        ok && edited.exists() && text.contains("reward of the edits"),
        "{text}"
    );
    let (ok, text) = on_checkpoint(
        "eval",
        fts,
        &["--count", "4", "--batch", "4", "--image-size", "8"],
    );
    assert!(ok && text.contains("mean noise-prediction MSE"), "{text}");
    // Training resumes from it (the base run's step and config travel along).
    let (ok, text) = train(&dir, &["--steps", "3", "--resume", fts]);
    assert!(ok && text.contains("resumed at step 2"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
