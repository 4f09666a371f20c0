//! Training with x0 and v targets and min-SNR weighting (`--prediction`, `--min-snr-gamma`):
//! the Trainer overfits and resumes exactly, and the command line carries the prediction from
//! `train` through the checkpoint to `sample`, `eval` and `--resume`.

use wgpu_ddpm::checkpoint::Checkpoint;
use wgpu_ddpm::data::builtin;
use wgpu_ddpm::gpu::Gpu;
use wgpu_ddpm::kernels::adam::AdamConfig;
use wgpu_ddpm::kernels::prediction::Prediction;
use wgpu_ddpm::model::checkpoint_io::prediction_of;
use wgpu_ddpm::train::{TrainConfig, Trainer};

#[path = "common/tiny_net.rs"]
mod tiny_net;

#[path = "common/cli.rs"]
mod cli_common;
use cli_common::{on_checkpoint, sample_ddim, train};

fn tiny(batch: usize, fixed_noise: bool, pred: Prediction, gamma: Option<f32>) -> TrainConfig {
    TrainConfig {
        t_max: 100,
        adam: AdamConfig {
            lr: 1e-2,
            ..Default::default()
        },
        seed: 3,
        log_every: 5,
        fixed_noise,
        prediction: pred,
        min_snr_gamma: gamma,
        ema_decay: Some(0.9),
        ..TrainConfig::plain(tiny_net::tiny_net(0), batch)
    }
}

fn gpu() -> std::sync::Arc<Gpu> {
    Gpu::new().expect("a GPU adapter (lavapipe is enough)")
}

#[test]
fn x0_and_v_targets_overfit_a_fixed_batch() {
    let data = builtin::generate(8, 4, 1);
    for (pred, gamma) in [(Prediction::X0, None), (Prediction::V, Some(5.0))] {
        let mut tr = Trainer::new(gpu(), tiny(4, true, pred, gamma)).unwrap();
        for _ in 0..150 {
            tr.step(&data);
        }
        let l = tr.take_losses(true);
        let first = l[..5].iter().map(|p| p.1).sum::<f32>() / 5.0;
        let last = l[l.len() - 5..].iter().map(|p| p.1).sum::<f32>() / 5.0;
        assert!(
            last < first / 10.0,
            "{pred}: loss fell only from {first} to {last}"
        );
    }
}

#[test]
fn weighted_v_run_resumes_exactly_and_records_its_objective() {
    let g = gpu();
    let data = builtin::generate(8, 10, 2);
    let cfg = || tiny(4, false, Prediction::V, Some(5.0));
    let mut full = Trainer::new(g.clone(), cfg()).unwrap();
    for _ in 0..10 {
        full.step(&data);
    }
    let full_losses = full.take_losses(true);
    let mut first = Trainer::new(g.clone(), cfg()).unwrap();
    for _ in 0..5 {
        first.step(&data);
    }
    let mut losses = first.take_losses(true);
    let ck = Checkpoint::from_bytes(&first.checkpoint().to_bytes().unwrap(), "mem").unwrap();
    assert_eq!(ck.metadata["prediction"], "v");
    assert_eq!(prediction_of(&ck, "mem").unwrap(), Prediction::V);
    let tc: serde_json::Value = serde_json::from_str(&ck.metadata["train_config"]).unwrap();
    assert_eq!(
        (tc["prediction"].as_str(), tc["min_snr_gamma"].as_f64()),
        (Some("v"), Some(5.0))
    );
    let mut second = Trainer::new(g.clone(), cfg()).unwrap();
    second.resume_from(&ck).unwrap();
    for _ in 0..5 {
        second.step(&data);
    }
    losses.extend(second.take_losses(true));
    assert_eq!(losses, full_losses, "loss sequence differs after resume");
    assert_eq!(full.checkpoint().tensors, second.checkpoint().tensors);
    // A resume that would change what the weights mean is refused, naming the setting.
    let eps = tiny(4, false, Prediction::Eps, Some(5.0));
    let err = wgpu_ddpm::train::resume::compare(&ck, &eps, "ck").unwrap_err();
    assert!(format!("{err}").contains("prediction"), "{err}");
    // Another gamma only warns (and is recorded).
    let other = tiny(4, false, Prediction::V, None);
    let changed = wgpu_ddpm::train::resume::compare(&ck, &other, "ck").unwrap();
    assert!(changed.contains_key("min_snr_gamma"), "{changed:?}");
}

#[test]
fn checkpoints_without_a_prediction_are_eps() {
    let mut ck = Checkpoint::default();
    assert_eq!(prediction_of(&ck, "old").unwrap(), Prediction::Eps);
    ck.metadata
        .insert("train_config".into(), r#"{"prediction":"x0"}"#.into());
    assert_eq!(prediction_of(&ck, "cfg").unwrap(), Prediction::X0);
    ck.metadata.insert("prediction".into(), "epsilon".into());
    let err = format!("{}", prediction_of(&ck, "bad.safetensors").unwrap_err());
    assert!(
        err.contains("bad.safetensors") && err.contains("eps, x0 or v"),
        "{err}"
    );
}

#[test]
fn cli_v_prediction_with_min_snr_from_train_to_sample_eval_and_resume() {
    let dir = cli_common::tmp("pred", "v");
    let v = ["--prediction", "v", "--min-snr-gamma", "5"];
    let warmup = ["--warmup-steps", "2", "--steps", "4"];
    let (ok, text) = train(&dir, &[&v[..], &warmup[..]].concat());
    assert!(ok, "{text}");
    let path = dir.join("checkpoint.safetensors");
    let ck = Checkpoint::load(&path).unwrap();
    assert_eq!(ck.metadata["prediction"], "v");
    let c = path.to_str().unwrap();

    let out = dir.join("grid.png");
    let (ok, text) = sample_ddim(c, "3", &["--count", "2", "--out", out.to_str().unwrap()]);
    assert!(ok && out.exists(), "{text}");
    let eval = ["--image-size", "8", "--count", "4", "--batch", "4"];
    let (ok, text) = on_checkpoint("eval", c, &eval);
    assert!(ok && text.contains("mean v-prediction MSE"), "{text}");

    // Another prediction on resume would train eps on v weights: refused.
    let eps = [
        "--prediction",
        "eps",
        "--min-snr-gamma",
        "5",
        "--steps",
        "6",
        "--resume",
    ];
    let (ok, text) = train(&dir, &eps);
    assert!(!ok && text.contains("prediction"), "{text}");
    // Without the flags the run keeps the checkpoint's objective and warmup.
    let (ok, text) = train(&dir, &["--steps", "6", "--resume"]);
    assert!(ok && text.contains("resumed at step 4"), "{text}");
    assert!(!text.contains("warning: resuming with"), "{text}");
    let ck = Checkpoint::load(&path).unwrap();
    assert_eq!(ck.metadata["prediction"], "v");
    let (ok, text) = train(&dir, &[&v[..], &["--steps", "8", "--resume"]].concat());
    assert!(ok && text.contains("resumed at step 6"), "{text}");

    for (args, says) in [
        (&["--prediction", "epsilon"][..], "--prediction"),
        (&["--min-snr-gamma", "nan"][..], "--min-snr-gamma"),
    ] {
        let (ok, text) = train(&dir.join("bad"), &[args, &["--steps", "1"]].concat());
        assert!(!ok && text.contains(says), "{args:?}: {text}");
    }
    std::fs::remove_dir_all(dir).ok();
}
