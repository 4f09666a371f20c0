//! The per-step optimisation settings, each a pure function of the optimizer step so that a
//! resumed run continues exactly: the learning-rate schedule with warmup and the EMA decay
//! with warmup, both with diffusers' formulas.

use anyhow::{bail, Result};
use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LrKind {
    Constant,
    Cosine,
    Linear,
}

/// `--lr-schedule KIND --warmup-steps N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LrSchedule {
    pub kind: LrKind,
    pub warmup_steps: u64,
}

impl LrSchedule {
    /// The constant learning rate without warmup (the trainer's behaviour before schedules).
    pub const CONSTANT: LrSchedule = LrSchedule {
        kind: LrKind::Constant,
        warmup_steps: 0,
    };

    /// Parse `--lr-schedule` and check `--warmup-steps` against the run's length: a warmup
    /// longer than the run never reaches --lr, which is refused as a likely mistake (e.g.
    /// diffusers' default of 500 warmup steps on a shorter run); warmup == steps is allowed.
    pub fn parse(kind: &str, warmup_steps: u64, steps: u64) -> Result<LrSchedule> {
        let kind = match kind {
            "constant" => LrKind::Constant,
            "cosine" => LrKind::Cosine,
            "linear" => LrKind::Linear,
            other => bail!("--lr-schedule must be constant, cosine or linear, got '{other}'"),
        };
        if warmup_steps > steps {
            bail!(
                "--warmup-steps {warmup_steps} is longer than the run (--steps {steps}): the learning rate would never reach --lr; pass --warmup-steps {} or less",
                steps
            );
        }
        Ok(LrSchedule { kind, warmup_steps })
    }

    /// The multiplier of --lr at optimizer step `step` (0-based: the first update uses
    /// step 0) of a run of `total` steps. diffusers (src/diffusers/optimization.py) builds
    /// LambdaLR schedules stepped after each optimizer step, so update k uses lr_lambda(k):
    ///
    /// ```text
    /// warmup (all three):  if current_step < num_warmup_steps:
    ///                          return float(current_step) / float(max(1, num_warmup_steps))
    /// constant:            return 1.0
    /// linear:              return max(0.0, float(num_training_steps - current_step) /
    ///                                      float(max(1, num_training_steps - num_warmup_steps)))
    /// cosine:              progress = float(current_step - num_warmup_steps) /
    ///                                 float(max(1, num_training_steps - num_warmup_steps))
    ///                      return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles)
    ///                                                            * 2.0 * progress)))
    ///                      (num_cycles = 0.5: one half cosine from 1 down to 0)
    /// ```
    ///
    /// So with warmup the first update has learning rate 0, as in diffusers. Steps here are
    /// optimizer steps; with gradient accumulation diffusers' train_unconditional.py passes
    /// warmup and total multiplied by the accumulation, which comes to the same.
    pub fn factor(&self, step: u64, total: u64) -> f64 {
        let (s, w, n) = (step as f64, self.warmup_steps as f64, total as f64);
        if step < self.warmup_steps {
            return s / w.max(1.0);
        }
        match self.kind {
            LrKind::Constant => 1.0,
            LrKind::Linear => ((n - s) / (n - w).max(1.0)).max(0.0),
            LrKind::Cosine => {
                let progress = (s - w) / (n - w).max(1.0);
                (0.5 * (1.0 + (std::f64::consts::PI * progress).cos())).max(0.0)
            }
        }
    }

    /// The learning rate of optimizer step `step` (0-based) for base rate `lr`.
    pub fn lr(&self, lr: f32, step: u64, total: u64) -> f32 {
        if *self == Self::CONSTANT {
            return lr;
        }
        (lr as f64 * self.factor(step, total)) as f32
    }

    /// The schedule as config.json records it; the decaying kinds depend on --steps too.
    pub fn to_json(&self, total: u64) -> Value {
        let name = format!("{:?}", self.kind).to_lowercase();
        match self.kind {
            LrKind::Constant => json!({"kind": name, "warmup_steps": self.warmup_steps}),
            _ => {
                json!({"kind": name, "warmup_steps": self.warmup_steps, "decay_to_zero_at": total})
            }
        }
    }
}

/// diffusers' EMA warmup (`--ema-inv-gamma`, `--ema-power`; the decay is capped by the
/// EMA decay of the run, `--ema-max-decay`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EmaWarmup {
    pub inv_gamma: f32,
    pub power: f32,
}

impl EmaWarmup {
    /// diffusers' train_unconditional.py defaults.
    pub const DEFAULT: EmaWarmup = EmaWarmup {
        inv_gamma: 1.0,
        power: 0.75,
    };

    pub fn validate(&self) -> Result<()> {
        if !(self.inv_gamma.is_finite() && self.inv_gamma > 0.0) {
            bail!(
                "--ema-inv-gamma must be a positive number (diffusers' default is 1.0), got {}",
                self.inv_gamma
            );
        }
        if !(self.power.is_finite() && self.power > 0.0) {
            bail!(
                "--ema-power must be a positive number (diffusers' default is 0.75; 2/3 for long runs), got {}",
                self.power
            );
        }
        Ok(())
    }
}

/// The EMA decay applied after optimizer step `step` (1-based: the first update is step 1).
/// A fixed decay without warmup. With warmup, diffusers' EMAModel (training_utils.py), whose
/// `step()` first increments `optimization_step` and then calls:
///
/// ```text
/// def get_decay(self, optimization_step):
///     step = max(0, optimization_step - self.update_after_step - 1)
///     if step <= 0:
///         return 0.0
///     if self.use_ema_warmup:
///         cur_decay_value = 1 - (1 + step / self.inv_gamma) ** -self.power
///     ...
///     cur_decay_value = min(cur_decay_value, self.decay)
///     cur_decay_value = max(cur_decay_value, self.min_decay)   (min_decay = 0)
/// ```
///
/// with update_after_step = 0: the first update copies the weights (decay 0).
pub fn ema_decay(max_decay: f32, warmup: Option<EmaWarmup>, step: u64) -> f32 {
    let Some(w) = warmup else {
        return max_decay;
    };
    let s = step.saturating_sub(1);
    if s == 0 {
        return 0.0;
    }
    let v = 1.0 - (1.0 + s as f64 / w.inv_gamma as f64).powf(-(w.power as f64));
    v.min(max_decay as f64).max(0.0) as f32
}

/// The EMA settings as config.json records them.
pub fn ema_json(warmup: Option<EmaWarmup>) -> Value {
    match warmup {
        None => Value::Null,
        Some(w) => json!({"inv_gamma": w.inv_gamma, "power": w.power}),
    }
}
