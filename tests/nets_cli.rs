//! `--net` end to end: each seed network trains a few steps on a tiny configuration, its
//! checkpoint samples, evaluates and resumes, and a state_dict without our metadata is
//! recognised by its names; bad choices get clear errors.

use std::path::PathBuf;

use wgpu_ddpm::checkpoint::Checkpoint;

// The seed U-Net's TINY configuration and `train` helper are not used here: each network
// has its own tiny widths.
#[path = "common/cli.rs"]
mod cli_common;
use cli_common::{on_checkpoint, run, sample_ddim};

fn tmp(name: &str) -> PathBuf {
    cli_common::tmp("nets", name)
}

/// A tiny configuration of each seed network on 8x8 (seed003: 16x16, it pools three times).
fn tiny(net: &str) -> (&'static str, &'static str) {
    match net {
        "seed001" => ("4,6", "8"),
        "seed002" => ("4,6,4", "8"),
        "seed003" => ("4", "16"),
        "seed004" => ("4,6,8", "8"),
        _ => unreachable!(),
    }
}

#[test]
fn every_seed_network_trains_samples_evaluates_and_resumes() {
    for net in ["seed001", "seed002", "seed003", "seed004"] {
        let dir = tmp(net);
        let d = dir.to_str().unwrap();
        let (channels, size) = tiny(net);
        let train = |steps: &str, resume: bool| {
            let mut args = vec![
                "train",
                "--net",
                net,
                "--channels",
                channels,
                "--image-size",
                size,
                "--batch",
                "3",
                "--samples",
                "2",
                "-T",
                "20",
                "--steps",
                steps,
                "--log-every",
                "1",
                "--out",
                d,
            ];
            if net != "seed002" && net != "seed004" {
                args.extend(["--temb-dim", "8"]);
            }
            if resume {
                args.push("--resume");
            }
            run(&args)
        };
        let (ok, text) = train("2", false);
        assert!(ok, "{net}: {text}");
        assert!(text.contains(&format!("| {net} [")), "{net}: {text}");
        let ck = dir.join("checkpoint.safetensors");
        let meta = Checkpoint::load(&ck).unwrap().metadata["network"].clone();
        assert!(meta.contains(&format!("\"net\":\"{net}\"")), "{meta}");
        let (ok, text) = train("3", true);
        assert!(ok && text.contains("resumed at step 2"), "{net}: {text}");

        let ck = ck.to_str().unwrap();
        let png = dir.join("s.png");
        let (ok, text) = sample_ddim(ck, "3", &["--count", "2", "--out", png.to_str().unwrap()]);
        assert!(ok && png.exists(), "{net}: {text}");
        let (ok, text) = on_checkpoint("eval", ck, &["--count", "4", "--image-size", size]);
        assert!(ok && text.contains("over 4 images"), "{net}: {text}");
    }
}

#[test]
fn a_plain_state_dict_is_recognised_by_its_names() {
    // Strip our metadata: what a PyTorch `save_file(model.state_dict())` would hold.
    let dir = tmp("plain");
    let d = dir.to_str().unwrap();
    let (ok, text) = run(&[
        "train",
        "--net",
        "seed004",
        "--channels",
        "4,6,8",
        "--image-size",
        "8",
        "--batch",
        "2",
        "--steps",
        "1",
        "--samples",
        "2",
        "-T",
        "20",
        "--out",
        d,
    ]);
    assert!(ok, "{text}");
    let mut ck = Checkpoint::load(&dir.join("checkpoint.safetensors")).unwrap();
    ck.metadata.clear();
    ck.tensors.retain(|k, _| !k.starts_with("optim."));
    let plain = dir.join("plain.safetensors");
    ck.save(&plain).unwrap();
    // The network and its widths come from the names and shapes (--image-size sizes the
    // built-in data to match).
    let p = plain.to_str().unwrap();
    let (ok, text) = on_checkpoint("eval", p, &["--count", "4", "--image-size", "8"]);
    assert!(ok && text.contains("over 4 images"), "{text}");
}

#[test]
fn bad_network_choices_are_refused_clearly() {
    let dir = tmp("bad");
    let d = dir.to_str().unwrap();
    let (ok, text) = run(&["train", "--net", "seed009", "--steps", "1", "--out", d]);
    assert!(
        !ok && text.contains("unknown network 'seed009'") && text.contains("seed004"),
        "{text}"
    );
    let (ok, text) = run(&[
        "train",
        "--net",
        "seed003",
        "--channels",
        "6",
        "--image-size",
        "16",
        "--steps",
        "1",
        "--out",
        d,
    ]);
    assert!(
        !ok && text.contains("divisible by its 4 attention heads"),
        "{text}"
    );
    let (ok, text) = run(&[
        "train", "--net", "seed004", "--cond", "--steps", "1", "--out", d,
    ]);
    assert!(!ok && text.contains("without --cond"), "{text}");
    let (ok, text) = run(&["info"]);
    assert!(
        ok && text.contains("seed003") && text.contains("23332739 parameters"),
        "{text}"
    );
}
