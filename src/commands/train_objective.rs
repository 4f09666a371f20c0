//! `train`'s objective flags, named as in diffusers and lucidrains: what the network predicts
//! and the min-SNR loss weighting.

use anyhow::{bail, Result};
use clap::Args;

use crate::checkpoint::Checkpoint;
use crate::kernels::prediction::Prediction;
use crate::model::checkpoint_io::prediction_of;

#[derive(Args, Debug, Clone)]
pub struct ObjectiveArgs {
    /// What the network learns to output: eps (the noise, DDPM's choice), x0 (the clean
    /// image) or v = sqrt(abar) eps - sqrt(1 - abar) x0. Stored in the checkpoint; sample,
    /// eval and finetune follow it, and --resume keeps it. Default: eps; the CPU default run
    /// (no --channels, --batch, --steps or --epochs) uses v; --resume: the checkpoint's.
    #[arg(long)]
    pub prediction: Option<String>,
    /// Min-SNR loss weighting (Hang et al. 2023) with this gamma, e.g. 5 (0: off): each
    /// image's loss is scaled by min(snr, gamma)/snr (eps), min(snr, gamma) (x0) or
    /// min(snr, gamma)/(snr+1) (v), snr = abar_t / (1 - abar_t). Default: off; the CPU
    /// default run uses 5; --resume: the checkpoint's.
    #[arg(long)]
    pub min_snr_gamma: Option<f32>,
}

/// What the objective and learning-rate flags fall back to when not given.
#[derive(Clone, Debug, PartialEq)]
pub struct Fallback {
    pub prediction: Prediction,
    pub min_snr_gamma: Option<f32>,
    pub lr_schedule: String,
    pub warmup_steps: u64,
}

impl Fallback {
    /// DDPM's own setting: eps, unweighted, a constant learning rate.
    pub fn plain() -> Fallback {
        Fallback {
            prediction: Prediction::Eps,
            min_snr_gamma: None,
            lr_schedule: "constant".into(),
            warmup_steps: 0,
        }
    }

    /// The CPU default run's (docs/default_run_samples.png; BENCHMARKS.md, "The default run"):
    /// v-prediction with min-SNR 5 and a cosine learning rate after 100 warmup steps took the
    /// quality number of the 1600-step run from 1395 (coverage 3/5) to 275 (5/5) at the same
    /// cost per step.
    pub fn cpu_default_run() -> Fallback {
        Fallback {
            prediction: Prediction::V,
            min_snr_gamma: Some(5.0),
            lr_schedule: "cosine".into(),
            warmup_steps: 100,
        }
    }

    /// What the run in `ck` was trained with (older checkpoints: `plain`'s values).
    pub fn of_checkpoint(ck: &Checkpoint, path: &str) -> Result<Fallback> {
        let mut f = Fallback::plain();
        f.prediction = prediction_of(ck, path)?;
        let cfg: Option<serde_json::Value> = ck
            .metadata
            .get("train_config")
            .and_then(|s| serde_json::from_str(s).ok());
        if let Some(cfg) = cfg {
            f.min_snr_gamma = cfg["min_snr_gamma"].as_f64().map(|g| g as f32);
            if let Some(kind) = cfg["lr_schedule"]["kind"].as_str() {
                f.lr_schedule = kind.to_string();
            }
            if let Some(w) = cfg["lr_schedule"]["warmup_steps"].as_u64() {
                f.warmup_steps = w;
            }
        }
        Ok(f)
    }
}

impl ObjectiveArgs {
    /// (prediction, min-SNR gamma), each refused with a message naming its flag.
    pub fn settings(&self, fallback: &Fallback) -> Result<(Prediction, Option<f32>)> {
        let p = match &self.prediction {
            Some(p) => p
                .parse()
                .map_err(|e| anyhow::anyhow!("--prediction: {e}"))?,
            None => fallback.prediction,
        };
        let gamma = match self.min_snr_gamma {
            Some(g) if !(g.is_finite() && g >= 0.0) => bail!(
                "--min-snr-gamma must be a positive number (5 is the paper's choice) or 0 (off), got {g}"
            ),
            Some(g) => (g > 0.0).then_some(g),
            None => fallback.min_snr_gamma,
        };
        Ok((p, gamma))
    }
}
