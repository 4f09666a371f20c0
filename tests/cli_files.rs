//! The files diffusers users expect from the CLI: rotating step-numbered checkpoints, a
//! `--resume` that starts fresh in an empty run folder, one PNG per sample and a .npy for
//! FID tools, and the errors for bad values of the optimisation flags.

#[path = "common/cli.rs"]
mod cli_common;
use cli_common::{sample_ddim, train};
use wgpu_ddpm::commands::sample_files::{npy_header, png_name};
use wgpu_ddpm::train::run_folder::{numbered_checkpoint, numbered_step, rotation};

fn tmp(name: &str) -> std::path::PathBuf {
    cli_common::tmp("cli_files", name)
}

#[test]
fn rotation_deletes_only_our_oldest_numbered_copies() {
    assert_eq!(numbered_checkpoint(400), "checkpoint_000400.safetensors");
    assert_eq!(
        numbered_step("checkpoint_1234567.safetensors"),
        Some(1234567)
    );
    for not_ours in [
        "checkpoint.safetensors",
        "checkpoint_12.safetensors",
        "checkpoint_000400.safetensors.bak",
        "my_checkpoint_000400.safetensors",
        "checkpoint_0004x0.safetensors",
        "checkpoint_+00400.safetensors",
    ] {
        assert_eq!(numbered_step(not_ours), None, "{not_ours}");
    }
    let names: Vec<String> = [
        "checkpoint_000300.safetensors",
        "notes.txt",
        "checkpoint_000100.safetensors",
        "checkpoint_12.safetensors",
        "checkpoint_000200.safetensors",
        "checkpoint_000900.safetensors",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // At step 300 keeping 2: 100 goes; 900 (an earlier run's, past this step) stays.
    assert_eq!(
        rotation(&names, 300, 2),
        vec!["checkpoint_000100.safetensors"]
    );
    assert_eq!(rotation(&names, 300, 3), Vec::<String>::new());
    assert_eq!(rotation(&names, 900, 1).len(), 3);
}

#[test]
fn npy_header_is_standard() {
    let h = npy_header(&[5, 8, 8, 1]);
    assert_eq!(h.len() % 64, 0);
    assert_eq!(&h[..8], b"\x93NUMPY\x01\x00");
    let len = u16::from_le_bytes([h[8], h[9]]) as usize;
    assert_eq!(10 + len, h.len());
    let dict = std::str::from_utf8(&h[10..]).unwrap();
    assert!(dict.starts_with("{'descr': '|u1', 'fortran_order': False, 'shape': (5, 8, 8, 1), }"));
    assert!(dict.ends_with('\n'));
    assert!(String::from_utf8_lossy(&npy_header(&[7])).contains("(7,)"));
}

#[test]
fn numbered_checkpoints_fresh_resume_and_fid_files() {
    let dir = tmp("run");
    for decoy in [
        "checkpoint_12.safetensors",
        "checkpoint_000002.safetensors.bak",
    ] {
        std::fs::write(dir.join(decoy), b"mine").unwrap();
    }
    let flags = [
        "--steps",
        "6",
        "--checkpoint-every",
        "2",
        "--keep-checkpoints",
        "2",
        "--lr-schedule",
        "cosine",
        "--warmup-steps",
        "2",
        "--grad-accum",
        "2",
        "--ema-max-decay",
        "0.99",
        "--random-flip",
        "--resume",
    ];
    let (ok, text) = train(&dir, &flags);
    assert!(
        ok && text.contains("does not exist yet; starting a new run"),
        "{text}"
    );
    let has = |f: &str| dir.join(f).exists();
    assert!(has("checkpoint_000004.safetensors") && has("checkpoint_000006.safetensors"));
    assert!(!has("checkpoint_000002.safetensors"), "not rotated out");
    assert!(has("checkpoint_12.safetensors") && has("checkpoint_000002.safetensors.bak"));
    let latest = std::fs::read(dir.join("checkpoint.safetensors")).unwrap();
    assert_eq!(
        std::fs::read(dir.join("checkpoint_000006.safetensors")).unwrap(),
        latest
    );
    let config = std::fs::read_to_string(dir.join("config.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&config).unwrap();
    assert_eq!(json["grad_accum"], 2);
    assert_eq!(json["lr_schedule"]["kind"], "cosine");
    assert_eq!(json["ema_warmup"]["power"], 0.75);
    assert_eq!(json["random_flip"], true);

    // A resume with another accumulation warns and records the change.
    let mut again = flags.to_vec();
    again[1] = "8";
    again[11] = "1";
    let (ok, text) = train(&dir, &again);
    assert!(
        ok && text.contains("resumed at step 6") && text.contains("resuming with grad_accum 1"),
        "{text}"
    );
    let config = std::fs::read_to_string(dir.join("config.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&config).unwrap();
    assert_eq!(
        json["changed_on_resume"]["step 6"]["grad_accum"]["checkpoint"],
        2
    );
    // Every lr schedule kind but constant records where it decays to 0, so --steps 8
    // changes it too.
    assert!(json["changed_on_resume"]["step 6"]["lr_schedule"].is_object());
    assert!(has("checkpoint_000008.safetensors") && !has("checkpoint_000004.safetensors"));

    // One PNG per image and the .npy, streamed in batches of 2.
    let ck = dir.join("checkpoint.safetensors");
    let (out, npy) = (dir.join("fid"), dir.join("fid.npy"));
    let files = [
        "--count",
        "5",
        "--batch",
        "2",
        "--out-dir",
        out.to_str().unwrap(),
        "--npy",
        npy.to_str().unwrap(),
    ];
    let (ok, text) = sample_ddim(ck.to_str().unwrap(), "3", &files);
    assert!(ok && text.contains("wrote 5 samples"), "{text}");
    assert!(!out.join(png_name(5)).exists());
    let bytes = std::fs::read(&npy).unwrap();
    let data = &bytes[npy_header(&[5, 8, 8, 1]).len()..];
    assert_eq!(data.len(), 5 * 64);
    for i in 0..5 {
        let png = image::open(out.join(png_name(i))).unwrap();
        assert_eq!(png.color(), image::ColorType::L8);
        assert_eq!(
            png.to_luma8().into_raw(),
            &data[i * 64..][..64],
            "image {i}"
        );
    }
    // What the user saved is not replaced unless asked.
    let (ok, text) = sample_ddim(ck.to_str().unwrap(), "3", &files[..6]);
    assert!(
        !ok && text.contains("is not empty") && text.contains("--overwrite"),
        "{text}"
    );
    let npy_only = [&files[..4], &files[6..]].concat();
    let (ok, text) = sample_ddim(ck.to_str().unwrap(), "3", &npy_only);
    assert!(
        !ok && text.contains("exists") && text.contains("--overwrite"),
        "{text}"
    );
    let (ok, text) = sample_ddim(
        ck.to_str().unwrap(),
        "3",
        &[&files[..], &["--overwrite", "--seed", "1"]].concat(),
    );
    assert!(ok, "{text}");
    assert_ne!(
        std::fs::read(&npy).unwrap(),
        bytes,
        "--overwrite replaced nothing"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn optimisation_flags_refuse_bad_values() {
    let dir = tmp("bad");
    for (args, want) in [
        (&["--lr-schedule", "step"][..], "--lr-schedule must be"),
        (&["--warmup-steps", "9"], "--warmup-steps 9"),
        (&["--grad-accum", "0"], "--grad-accum must be at least 1"),
        (&["--ema", "0.9", "--ema-max-decay", "0.99"], "exclusive"),
        (&["--ema-power", "0.5"], "with --ema-max-decay"),
        (
            &["--ema-max-decay", "1.5"],
            "--ema-max-decay must be in [0, 1)",
        ),
        (
            &["--ema-max-decay", "0.99", "--ema-inv-gamma", "0"],
            "--ema-inv-gamma must be",
        ),
    ] {
        let (ok, text) = train(&dir, &[args, &["--steps", "4"]].concat());
        assert!(!ok && text.contains(want), "{args:?}: {text}");
    }
    std::fs::remove_dir_all(dir).ok();
}

/// config.json and the checkpoint hold the f32 decay 0.999 as the f64 0.9990000128746033;
/// serde_json reads that text back one ulp off unless its `float_roundtrip` feature is on,
/// and a resume then took its own setting for a change.
#[test]
fn resume_reads_back_the_ema_decay_it_wrote() {
    let dir = tmp("ema_decay");
    let flags = ["--steps", "2", "--ema-max-decay", "0.999"];
    let (ok, text) = train(&dir, &flags);
    assert!(ok, "{text}");
    let (ok, text) = train(
        &dir,
        &["--steps", "3", "--ema-max-decay", "0.999", "--resume"],
    );
    assert!(ok && text.contains("resumed at step 2"), "{text}");
    assert!(!text.contains("resuming with"), "{text}");
    let config = std::fs::read_to_string(dir.join("config.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&config).unwrap();
    assert_eq!(
        json["ema_decay"].as_f64(),
        Some(0.999f32 as f64),
        "{config}"
    );
    assert!(json.get("changed_on_resume").is_none(), "{config}");
    std::fs::remove_dir_all(dir).ok();
}
