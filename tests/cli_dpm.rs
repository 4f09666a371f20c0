//! DPM-Solver++ from the command line on the tiny network: `sample --sampler dpm++2m
//! --steps N` (plain and guided), `quality --sampler dpm++2m`, train's grids with
//! `--sample-sampler dpm++2m`, and the errors for bad step counts and flag mixes.

#[path = "common/cli.rs"]
mod cli_common;
use cli_common::{on_checkpoint, run};

#[test]
fn dpm_sampler_end_to_end() {
    let dir = cli_common::tmp("cli_dpm", "run");
    let d = dir.to_str().unwrap();
    // Class-conditional, so that guidance runs through the DPM loop too; T = 20.
    let mut args = vec!["train", "--steps", "2", "--out", d, "--cond"];
    args.extend(cli_common::TINY);
    args.extend(["--sample-sampler", "dpm++2m", "--sample-steps", "3"]);
    let (ok, text) = run(&args);
    assert!(ok && dir.join("samples.png").exists(), "{text}");
    let ck = dir.join("checkpoint.safetensors");
    let c = ck.to_str().unwrap();
    let out = dir.join("dpm.png");
    let o = out.to_str().unwrap();
    let dpm = |steps: &str, extra: &[&str]| {
        let base = ["--sampler", "dpm++2m", "--steps", steps, "--out", o];
        on_checkpoint("sample", c, &[&base[..], extra].concat())
    };
    let (ok, text) = dpm("5", &["--count", "5", "--batch", "3", "--strip", "3"]);
    assert!(ok && out.exists(), "{text}");
    assert!(text.contains("wrote 5 samples"), "{text}");
    let (ok, text) = dpm("19", &["--count", "2", "--class", "3", "--guidance", "2"]);
    assert!(ok, "{text}");
    let q = ["--sampler", "dpm++2m", "--steps", "4", "--count", "8"];
    let (ok, text) = on_checkpoint(
        "quality",
        c,
        &[&q[..], &["--classifier-steps", "5"]].concat(),
    );
    assert!(
        ok && text.contains("DPM-Solver++ 2M, 4 steps") && text.contains("sampling took"),
        "{text}"
    );

    // Bad step counts: T = 20 allows 1..=19.
    for (steps, want) in [("0", "at least 1"), ("20", "1..=19")] {
        let (ok, text) = dpm(steps, &["--count", "1"]);
        assert!(
            !ok && text.contains("DPM-Solver++ steps") && text.contains(want),
            "{text}"
        );
    }
    let cases: [(&[&str], &str); 5] = [
        (
            &["--sampler", "dpm++2m", "--ddim-steps", "5"],
            "is for --sampler ddim",
        ),
        (
            &["--sampler", "ddim", "--steps", "5", "--ddim-steps", "5"],
            "pass one of them",
        ),
        (
            &["--sampler", "ddpm", "--steps", "5"],
            "ddpm runs every one",
        ),
        (&["--sampler", "dpm++2m", "--eta", "0.5"], "--eta is DDIM's"),
        (&["--sampler", "euler"], "use ddpm, ddim or dpm++2m"),
    ];
    for (flags, want) in cases {
        let (ok, text) = on_checkpoint("sample", c, flags);
        assert!(!ok && text.contains(want), "{flags:?}: {text}");
    }
    // Grids that the schedule cannot draw (dpm++2m's default 20 steps at T = 20) are
    // refused before training, not after it.
    let dir2 = cli_common::tmp("cli_dpm", "grid");
    let mut args = vec!["train", "--steps", "2", "--out", dir2.to_str().unwrap()];
    args.extend(cli_common::TINY);
    args.extend(["--sample-sampler", "dpm++2m"]);
    let (ok, text) = run(&args);
    assert!(!ok && text.contains("1..=19"), "{text}");
    assert!(!dir2.join("checkpoint.safetensors").exists(), "{text}");
    // --steps means DDIM's step count with --sampler ddim.
    let (ok, text) = on_checkpoint(
        "sample",
        c,
        &[
            "--sampler",
            "ddim",
            "--steps",
            "4",
            "--count",
            "1",
            "--out",
            o,
        ],
    );
    assert!(ok, "{text}");
}
