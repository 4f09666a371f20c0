//! Gradients through the sampler: the recorded chain "add noise -> U-Net -> denoise -> U-Net
//! -> denoise -> reward" against finite differences, DRaFT-K fine-tuning raising a reward
//! while the noise-prediction loss stays bounded, and SDEdit (`tests/finetune_cli.rs`: the
//! `finetune` and `edit` commands, and fine-tuned checkpoints loading wherever ordinary ones
//! do).

mod chain;
#[path = "../common/mod.rs"]
mod common;
mod training;

use common::*;
use wgpu_ddpm::data::{self, DataSpec, Dataset, LoadOptions};
use wgpu_ddpm::diffusion::{SamplerConfig, SamplerKind, Schedule, ScheduleKind};
use wgpu_ddpm::finetune::edit::{sdedit, EditConfig};
use wgpu_ddpm::finetune::{write_states, FinetuneConfig, Finetuner, Reward, StepsSpec};
use wgpu_ddpm::gpu::Program;
use wgpu_ddpm::kernels::adam::AdamConfig;
use wgpu_ddpm::kernels::add_noise::rng_state_words;
use wgpu_ddpm::kernels::denoise::DenoiseMode;
use wgpu_ddpm::kernels::prediction::Prediction;
use wgpu_ddpm::model::graph::Graph;
use wgpu_ddpm::model::network::{Model, NetConfig};
use wgpu_ddpm::train::eval::mean_loss;
use wgpu_ddpm::train::{TrainConfig, Trainer};

fn tiny(size: usize) -> NetConfig {
    NetConfig {
        image_channels: 1,
        image_size: size,
        channels: vec![2, 3, 2],
        temb_dim: 4,
        num_classes: 0,
        ..Default::default()
    }
}

/// The weights `w0` moved by `s` along the direction `d`.
fn along(w0: &[f32], d: &[f32], s: f64) -> Vec<f32> {
    w0.iter()
        .zip(d)
        .map(|(w, d)| (*w as f64 + s * *d as f64) as f32)
        .collect()
}

/// The tape's derivative along `d`: grads . d.
fn dot(grads: &[f32], d: &[f32]) -> f64 {
    grads
        .iter()
        .zip(d)
        .map(|(g, d)| *g as f64 * *d as f64)
        .sum()
}

/// DDIM sampling in `steps` steps with noise `eta`, unclipped.
fn ddim(steps: usize, eta: f32, seed: u64) -> SamplerConfig {
    SamplerConfig {
        kind: SamplerKind::Ddim { steps, eta },
        clip_x0: false,
        seed,
        prediction: Prediction::Eps,
    }
}

/// `count` images of the built-in data at 8x8.
fn builtin(count: usize) -> Dataset {
    data::load(
        &DataSpec::parse("builtin").unwrap(),
        &LoadOptions {
            size: Some(8),
            count,
            ..Default::default()
        },
    )
    .unwrap()
}

/// DPM-Solver++ 2M sampling in `steps` steps, unclipped.
fn dpm(steps: usize, seed: u64) -> SamplerConfig {
    SamplerConfig {
        kind: SamplerKind::DpmSolver2M { steps },
        ..ddim(steps, 0.0, seed)
    }
}
