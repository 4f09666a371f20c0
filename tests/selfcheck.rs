//! The kernel self-check (issue 21, item 7): it passes on this adapter, each family's bounds
//! catch a percent-level error in its kernels, and a command refuses to run on an adapter
//! where a family fails, naming it and the adapter, unless told to skip the check.

use std::path::Path;

use wgpu_ddpm::gpu::Gpu;
use wgpu_ddpm::selfcheck::{self, FAMILIES, SABOTAGE_ENV, SKIP_ENV};

#[path = "common/cli.rs"]
mod cli_common;

#[test]
fn every_family_passes_here_and_fails_when_its_results_are_off_by_a_percent() {
    let gpu = Gpu::new().expect("tests need a GPU adapter (lavapipe is enough)");
    let clean = selfcheck::run(&gpu, None, None);
    assert_eq!(clean.len(), FAMILIES.len());
    for o in &clean {
        assert!(
            o.passed(),
            "{} fails on this adapter: {}",
            o.family,
            o.summary()
        );
    }
    // The pipelines are compiled now, so these re-runs cost little.
    for f in FAMILIES {
        let broken = selfcheck::run(&gpu, Some(f.name), Some(f.name));
        assert_eq!(broken.len(), 1);
        assert!(
            !broken[0].passed(),
            "{}: results scaled by 1.01 pass its bounds: {}",
            f.name,
            broken[0].summary()
        );
    }
}

/// `train` into a folder that cannot be created: the command fails right after the gate, so
/// the message says whether the self-check let it through without training anything.
fn train_after_gate(cache: &Path, envs: &[(&str, &str)], extra: &[&str]) -> (bool, String) {
    let mut c = cli_common::bin();
    c.env("WGPU_DDPM_CACHE_DIR", cache);
    for (k, v) in envs {
        c.env(k, v);
    }
    let args = ["train", "--out", "/dev/null/run", "--steps", "1"];
    let out = c.args(args).args(extra).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

const GATE_PASSED: &str = "could not create run folder";
const CHECKING: &str = "checking every kernel";

#[test]
fn a_broken_kernel_is_refused_by_name_and_the_verdict_is_cached() {
    let cache = cli_common::tmp("selfcheck", "cache");
    let adapter = Gpu::new().unwrap().info.name.clone();

    let (ok, text) = train_after_gate(&cache, &[(SABOTAGE_ENV, "attention")], &[]);
    assert!(!ok, "{text}");
    assert!(!text.contains(GATE_PASSED), "training went ahead: {text}");
    for needle in [
        "self-check failed",
        "attention:",
        "bound",
        &adapter,
        "--skip-self-check",
        SKIP_ENV,
    ] {
        assert!(
            text.contains(needle),
            "the refusal lacks '{needle}': {text}"
        );
    }
    assert!(
        !text.contains("conv2d:"),
        "only the broken family is named: {text}"
    );
    assert_eq!(
        std::fs::read_dir(&cache).map_or(0, |d| d.count()),
        0,
        "a sabotaged run stores no verdict"
    );

    // Told to skip, by flag or environment, the command goes past the gate.
    let (_, text) = train_after_gate(
        &cache,
        &[(SABOTAGE_ENV, "attention")],
        &["--skip-self-check"],
    );
    assert!(
        text.contains(GATE_PASSED) && !text.contains(CHECKING),
        "{text}"
    );
    let (_, text) = train_after_gate(&cache, &[(SABOTAGE_ENV, "all"), (SKIP_ENV, "1")], &[]);
    assert!(
        text.contains(GATE_PASSED) && !text.contains(CHECKING),
        "{text}"
    );

    // The first clean run checks and stores its verdict; the next one reads it.
    let (_, text) = train_after_gate(&cache, &[], &[]);
    assert!(
        text.contains(CHECKING) && text.contains(GATE_PASSED),
        "{text}"
    );
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 1);
    let (_, text) = train_after_gate(&cache, &[], &[]);
    assert!(
        !text.contains(CHECKING) && text.contains(GATE_PASSED),
        "{text}"
    );
    std::fs::remove_dir_all(&cache).unwrap();
}
