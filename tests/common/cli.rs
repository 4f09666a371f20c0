//! Running the `wgpu-ddpm` binary from the CLI tests: the command, a scratch folder per test,
//! and the tiny network every end-to-end run trains.

// Each test file uses some of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wgpu-ddpm"));
    c.env("XDG_RUNTIME_DIR", std::env::temp_dir());
    // Every CLI test shares one self-check verdict per adapter (the key holds the shaders'
    // hash), away from the user's cache; tests that watch the check point elsewhere.
    c.env(
        "WGPU_DDPM_CACHE_DIR",
        concat!(env!("CARGO_TARGET_TMPDIR"), "/self-check-cache"),
    );
    c.env_remove("WGPU_DDPM_SELF_CHECK_SABOTAGE");
    c.env_remove("WGPU_DDPM_SKIP_SELF_CHECK");
    c
}

/// Run with `args`: (exit status was success, stdout + stderr).
pub fn run(args: &[&str]) -> (bool, String) {
    let out = bin().args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// `command --checkpoint ck`, then `extra`: every command but `train` reads a checkpoint.
pub fn on_checkpoint(command: &str, ck: &str, extra: &[&str]) -> (bool, String) {
    run(&[&[command, "--checkpoint", ck][..], extra].concat())
}

/// `sample` from `ck` with DDIM in `steps` steps, then `extra`.
pub fn sample_ddim(ck: &str, steps: &str, extra: &[&str]) -> (bool, String) {
    let ddim = ["--sampler", "ddim", "--ddim-steps", steps];
    on_checkpoint("sample", ck, &[&ddim[..], extra].concat())
}

/// An empty folder for one test's files, named by the test file (`group`), this process and
/// `name`, so test binaries and tests running at once never share one.
pub fn tmp(group: &str, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wgpu-ddpm-{group}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The network and run sizes of the end-to-end tests: a tiny U-Net on 8x8 images, T = 20,
/// small enough for lavapipe.
pub const TINY: &[&str] = &[
    "--channels",
    "4,6,8",
    "--batch",
    "4",
    "--samples",
    "4",
    "-T",
    "20",
    "--image-size",
    "8",
];

/// `train --out dir` on the tiny network, then `extra`.
pub fn train(dir: &Path, extra: &[&str]) -> (bool, String) {
    let mut args = vec!["train", "--out", dir.to_str().unwrap()];
    args.extend(TINY);
    args.extend(extra);
    run(&args)
}
