//! What a training run is configured with ([`TrainConfig`]) and how it is written into
//! config.json and the checkpoint's `train_config`.

use super::{optim, EmaWarmup, LrSchedule};
use crate::diffusion::schedule::ScheduleKind;
use crate::kernels::adam;
use crate::kernels::prediction::Prediction;
use crate::model::network::NetConfig;

#[derive(Clone, Debug)]
pub struct TrainConfig {
    pub net: NetConfig,
    pub schedule: ScheduleKind,
    pub t_max: usize,
    /// Images per micro-batch (per forward pass); an optimizer step sees `batch * grad_accum`.
    pub batch: usize,
    pub adam: adam::AdamConfig,
    pub steps: u64,
    pub seed: u64,
    pub log_every: u64,
    /// Keep an exponential moving average of the weights (and BatchNorm running stats) with
    /// this decay (the maximum decay when `ema_warmup` is set).
    pub ema_decay: Option<f32>,
    /// Reuse step 0's noise and timesteps every step (tests: a pure regression problem).
    pub fixed_noise: bool,
    /// Clip gradients to this global L2 norm before Adam.
    pub grad_clip: Option<f32>,
    /// Probability of replacing a label by the null label (classifier-free guidance).
    pub label_dropout: f32,
    /// The learning rate of each step: `adam.lr` times this schedule's factor.
    pub lr_schedule: LrSchedule,
    /// Micro-batches accumulated into each optimizer step (1: none).
    pub grad_accum: usize,
    /// diffusers' EMA warmup of the decay (needs `ema_decay`).
    pub ema_warmup: Option<EmaWarmup>,
    /// Mirror each training image left-right with probability 1/2.
    pub random_flip: bool,
    /// What the network learns to output: eps, x0 or v (fixed for a run's life).
    pub prediction: Prediction,
    /// Min-SNR loss weighting (Hang et al. 2023) with this gamma; None: every image weighs 1.
    pub min_snr_gamma: Option<f32>,
}

impl TrainConfig {
    /// `net` at `batch` with every other setting at its plain default: linear schedule,
    /// T = 1000, Adam's defaults at a constant rate, seed 0, no EMA, clipping, dropout,
    /// accumulation or flips. Callers that build a config by hand (tests, benches) set what
    /// they need with `..TrainConfig::plain(net, batch)`.
    pub fn plain(net: NetConfig, batch: usize) -> TrainConfig {
        TrainConfig {
            net,
            schedule: ScheduleKind::Linear,
            t_max: 1000,
            batch,
            adam: adam::AdamConfig::default(),
            steps: 0,
            seed: 0,
            log_every: 1,
            ema_decay: None,
            fixed_noise: false,
            grad_clip: None,
            label_dropout: 0.0,
            lr_schedule: LrSchedule::CONSTANT,
            grad_accum: 1,
            ema_warmup: None,
            random_flip: false,
            prediction: Prediction::Eps,
            min_snr_gamma: None,
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "network": self.net.to_json(),
            "schedule": format!("{:?}", self.schedule).to_lowercase(),
            "t_max": self.t_max,
            "batch": self.batch,
            "lr": self.adam.lr,
            "weight_decay": self.adam.weight_decay,
            "steps": self.steps,
            "seed": self.seed,
            "ema_decay": self.ema_decay,
            "label_dropout": self.label_dropout,
            "grad_clip": self.grad_clip,
            "lr_schedule": self.lr_schedule.to_json(self.steps),
            "grad_accum": self.grad_accum,
            "ema_warmup": optim::ema_json(self.ema_warmup),
            "random_flip": self.random_flip,
            "prediction": self.prediction.name(),
            "min_snr_gamma": self.min_snr_gamma,
        })
    }

    /// Images per optimizer step.
    pub fn effective_batch(&self) -> usize {
        self.batch * self.grad_accum.max(1)
    }
}
