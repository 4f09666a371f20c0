//! `--sampler` and `--steps`, as `sample`, `quality` and `train`'s sample grids read them.

use anyhow::{bail, Result};
use clap::Args;

use super::parse_variance;
use crate::diffusion::sampler::{SamplerConfig, SamplerKind, Variance};
use crate::kernels::prediction::Prediction;

/// The names `--sampler` takes.
pub const SAMPLERS: &str = "ddpm, ddim or dpm++2m";

/// Steps when `--steps` is not given: DDIM's historical 50, and 20 for DPM-Solver++ (diffusers:
/// "high quality at 20 steps").
pub const DDIM_STEPS: usize = 50;
pub const DPM_STEPS: usize = 20;

/// The sampler `name` with `steps` (None: its default) and, for DDIM, `eta`; `variance` is
/// DDPM's. DDPM always runs all T steps, so `steps` must be None for it.
pub fn sampler_kind(
    name: &str,
    steps: Option<usize>,
    variance: Variance,
    eta: f32,
) -> Result<SamplerKind> {
    Ok(match name {
        "ddpm" => {
            if let Some(n) = steps {
                bail!("--steps {n}: ddpm runs every one of the schedule's T steps; use --sampler ddim or dpm++2m for fewer");
            }
            SamplerKind::Ddpm { variance }
        }
        "ddim" => SamplerKind::Ddim {
            steps: steps.unwrap_or(DDIM_STEPS),
            eta,
        },
        "dpm++2m" => SamplerKind::DpmSolver2M {
            steps: steps.unwrap_or(DPM_STEPS),
        },
        s => bail!("--sampler {s}: use {SAMPLERS}"),
    })
}

#[derive(Args, Debug, Clone)]
pub struct SamplerArgs {
    /// ddpm (ancestral, all T steps), ddim, or dpm++2m (DPM-Solver++ 2M, deterministic,
    /// good at 10 to 20 steps).
    #[arg(long, default_value = "ddpm")]
    pub sampler: String,
    /// Steps of ddim (default 50) or dpm++2m (default 20, at most T - 1).
    #[arg(long)]
    pub steps: Option<usize>,
    /// DDIM steps (the older spelling of --steps, ddim only).
    #[arg(long)]
    pub ddim_steps: Option<usize>,
    /// DDPM variance: small (beta tilde) or large (beta).
    #[arg(long, default_value = "small")]
    pub variance: String,
    /// DDIM eta in [0, 1].
    #[arg(long, default_value_t = 0.0)]
    pub eta: f32,
    /// Clip the predicted x0 to [-1, 1] at each step.
    #[arg(long)]
    pub clip: bool,
}

impl SamplerArgs {
    /// The sampler the flags ask for, for a network that predicts `prediction`.
    pub fn config(&self, seed: u64, prediction: Prediction) -> Result<SamplerConfig> {
        let steps = match (self.steps, self.ddim_steps) {
            (Some(a), Some(b)) => bail!("--steps {a} and --ddim-steps {b}: pass one of them"),
            (None, Some(b)) if self.sampler != "ddim" => {
                bail!("--ddim-steps {b} is for --sampler ddim (--steps sets dpm++2m's steps)")
            }
            (s, d) => s.or(d),
        };
        if self.eta != 0.0 && self.sampler != "ddim" {
            bail!("--eta is DDIM's; --sampler {} takes none", self.sampler);
        }
        let variance = parse_variance(&self.variance)?;
        Ok(SamplerConfig {
            kind: sampler_kind(&self.sampler, steps, variance, self.eta)?,
            clip_x0: self.clip,
            seed,
            prediction,
        })
    }
}
