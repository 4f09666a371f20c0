//! `train`'s objective flags, named as in diffusers and lucidrains: what the network predicts
//! and the min-SNR loss weighting.

use anyhow::{bail, Result};
use clap::Args;

use crate::kernels::prediction::Prediction;

#[derive(Args, Debug, Clone)]
pub struct ObjectiveArgs {
    /// What the network learns to output: eps (the noise, DDPM's choice), x0 (the clean
    /// image) or v = sqrt(abar) eps - sqrt(1 - abar) x0. Stored in the checkpoint; sample,
    /// eval and finetune follow it, and --resume keeps it.
    #[arg(long, default_value = "eps")]
    pub prediction: String,
    /// Min-SNR loss weighting (Hang et al. 2023) with this gamma, e.g. 5: each image's loss
    /// is scaled by min(snr, gamma)/snr (eps), min(snr, gamma) (x0) or min(snr, gamma)/(snr+1)
    /// (v), snr = abar_t / (1 - abar_t).
    #[arg(long)]
    pub min_snr_gamma: Option<f32>,
}

impl ObjectiveArgs {
    /// (prediction, min-SNR gamma), each refused with a message naming its flag.
    pub fn settings(&self) -> Result<(Prediction, Option<f32>)> {
        let p = self
            .prediction
            .parse()
            .map_err(|e| anyhow::anyhow!("--prediction: {e}"))?;
        if let Some(g) = self.min_snr_gamma.filter(|g| !(g.is_finite() && *g > 0.0)) {
            bail!("--min-snr-gamma must be a positive number (5 is the paper's choice), got {g}");
        }
        Ok((p, self.min_snr_gamma))
    }
}
