//! Running the `wgpu-ddpm` binary from the CLI tests.

use std::process::Command;

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wgpu-ddpm"));
    c.env("XDG_RUNTIME_DIR", std::env::temp_dir());
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
