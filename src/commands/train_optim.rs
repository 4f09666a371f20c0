//! `train`'s optimisation flags as diffusers' train_unconditional.py has them: the
//! learning-rate schedule with warmup, gradient accumulation, EMA warmup and flip
//! augmentation; each refused with a message that names the flag.

use anyhow::{bail, Result};
use clap::Args;

use super::train_objective::Fallback;
use crate::train::{EmaWarmup, LrSchedule};

#[derive(Args, Debug, Clone)]
pub struct OptimArgs {
    /// Learning-rate schedule after the warmup: constant, cosine (to 0 at the last step) or
    /// linear (to 0 at the last step); diffusers' formulas. Default: constant; the CPU
    /// default run (no --channels, --batch, --steps or --epochs) uses cosine; --resume: the
    /// checkpoint's.
    #[arg(long)]
    pub lr_schedule: Option<String>,
    /// Steps of linear warmup from 0 to --lr (the first step has lr 0, as in diffusers); at
    /// most --steps. Default: 0; the CPU default run uses 100; --resume: the checkpoint's.
    #[arg(long)]
    pub warmup_steps: Option<u64>,
    /// Accumulate N micro-batches of --batch images into each optimizer step: the update of
    /// one batch N times larger (BatchNorm statistics stay per micro-batch).
    #[arg(long, default_value_t = 1)]
    pub grad_accum: usize,
    /// Keep an EMA of the weights whose decay warms up as in diffusers' EMAModel,
    /// min(this, 1 - (1 + step/inv_gamma)^-power), e.g. 0.9999. Instead of --ema.
    #[arg(long)]
    pub ema_max_decay: Option<f32>,
    /// EMA warmup inv_gamma (with --ema-max-decay; default 1.0).
    #[arg(long)]
    pub ema_inv_gamma: Option<f32>,
    /// EMA warmup power (with --ema-max-decay; default 0.75).
    #[arg(long)]
    pub ema_power: Option<f32>,
    /// Mirror each training image left-right with probability 1/2 (drawn from seed, step and
    /// position in the batch, so a resumed run flips the same images).
    #[arg(long)]
    pub random_flip: bool,
}

/// What the flags make of a run of `steps` steps with `--ema` = `ema`.
pub struct Optim {
    pub lr_schedule: LrSchedule,
    pub grad_accum: usize,
    pub ema_decay: Option<f32>,
    pub ema_warmup: Option<EmaWarmup>,
    pub random_flip: bool,
}

impl OptimArgs {
    pub fn settings(&self, ema: Option<f32>, steps: u64, fallback: &Fallback) -> Result<Optim> {
        let kind = self.lr_schedule.as_deref().unwrap_or(&fallback.lr_schedule);
        let warmup = self.warmup_steps.unwrap_or(fallback.warmup_steps);
        let lr_schedule = LrSchedule::parse(kind, warmup, steps)?;
        if self.grad_accum == 0 {
            bail!("--grad-accum must be at least 1 (1: no accumulation), got 0");
        }
        let (ema_decay, ema_warmup) = match (ema, self.ema_max_decay) {
            (Some(_), Some(_)) => bail!(
                "--ema (a fixed decay) and --ema-max-decay (a decay that warms up) are exclusive: pass one"
            ),
            (fixed, None) => {
                if self.ema_inv_gamma.is_some() || self.ema_power.is_some() {
                    bail!("--ema-inv-gamma and --ema-power shape the EMA warmup: pass them with --ema-max-decay (e.g. --ema-max-decay 0.9999)");
                }
                (fixed, None)
            }
            (None, Some(max)) => {
                if !(0.0..1.0).contains(&max) {
                    bail!("--ema-max-decay must be in [0, 1), e.g. 0.9999; got {max}");
                }
                let w = EmaWarmup {
                    inv_gamma: self.ema_inv_gamma.unwrap_or(EmaWarmup::DEFAULT.inv_gamma),
                    power: self.ema_power.unwrap_or(EmaWarmup::DEFAULT.power),
                };
                w.validate()?;
                (Some(max), Some(w))
            }
        };
        Ok(Optim {
            lr_schedule,
            grad_accum: self.grad_accum,
            ema_decay,
            ema_warmup,
            random_flip: self.random_flip,
        })
    }
}
