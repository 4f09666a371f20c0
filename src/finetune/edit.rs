//! SDEdit (Meng et al. 2022): noise a real image to t = S*T with add-noise, then denoise it
//! back with DDIM from there. With a reward, the input image itself is optimised (Adam on
//! its pixels) through add-noise and every recorded step, with the noise held fixed, so the
//! edit of the optimised input scores higher. All steps are on one tape: memory grows with
//! the step count (no gradient checkpointing yet).

use std::sync::Arc;

use anyhow::{bail, Result};

use super::chain::{write_states, Reward, StepsSpec};
use crate::diffusion::schedule::Schedule;
use crate::gpu::{Gpu, Program};
use crate::kernels::adam::{adam, adam_hyper, AdamConfig};
use crate::kernels::add_noise::rng_state_words;
use crate::kernels::denoise::DenoiseMode;
use crate::kernels::prediction::Prediction;
use crate::model::graph::Graph;
use crate::model::network::Model;

#[derive(Clone, Debug)]
pub struct EditConfig {
    /// S in (0, 1]: the image is noised to t = round(S T) (at least 1).
    pub strength: f32,
    /// DDIM steps from t down to 0 (at most t).
    pub steps: usize,
    /// Edits drawn at once (each with its own noise).
    pub count: usize,
    pub seed: u64,
    /// Optimise the input for this reward with `iters` Adam steps of `lr`.
    pub reward: Option<Reward>,
    pub iters: usize,
    pub lr: f32,
    /// What the network's output means (the checkpoint's `prediction`).
    pub prediction: Prediction,
}

pub struct Edited {
    /// The inputs (optimised when a reward was given), one per edit, each c*h*w.
    pub inputs: Vec<f32>,
    /// The edits, one per input.
    pub outputs: Vec<f32>,
    /// The mean reward after each pass (first: the unoptimised input), when one was given.
    pub rewards: Vec<f32>,
}

/// Edit `image` (c*h*w values in [-1, 1], the network's shape).
pub fn sdedit(
    gpu: &Arc<Gpu>,
    net: &Model,
    schedule: &Schedule,
    image: &[f32],
    cfg: &EditConfig,
) -> Result<Edited> {
    let (c, s) = (net.cfg.image_channels, net.cfg.image_size);
    let chw = c * s * s;
    if image.len() != chw {
        bail!(
            "the image has {} values, the network takes {c}x{s}x{s}",
            image.len()
        );
    }
    if !(cfg.strength > 0.0 && cfg.strength <= 1.0) {
        bail!("--strength must be in (0, 1], got {}", cfg.strength);
    }
    if cfg.count == 0 || cfg.steps == 0 {
        bail!("--count and --steps must be at least 1");
    }
    crate::train::check_fits(gpu, &net.cfg, cfg.count)?;
    let t_start = ((cfg.strength as f64 * schedule.t_max as f64).round() as usize).max(1);
    let steps = cfg.steps.min(t_start);
    let mut ts: Vec<u32> = (1..=steps)
        .rev()
        .map(|i| ((i * t_start) as f64 / steps as f64).round().max(1.0) as u32)
        .collect();
    ts.push(0);
    let n = cfg.count;
    let spec = StepsSpec::new(
        gpu,
        DenoiseMode::Ddim { eta: 0.0 },
        false,
        &schedule.gpu_table(),
        ts,
        net,
        n,
    )
    .predicting(cfg.prediction);
    let mut g = match cfg.reward {
        Some(_) => Graph::frozen_bn(gpu),
        None => Graph::new(gpu, false),
    };
    let x0 = g.var(&[n, c, s, s]);
    let rng_state = gpu.upload_u32(&rng_state_words(cfg.seed, 0), &[4]);
    let (xt, _t, _eps) = g.add_noise(&x0, &spec.table, &rng_state, Some(t_start as u32));
    let rec = spec.record(&mut g, net, &xt, 0);
    let loss = cfg.reward.as_ref().map(|r| r.record(&mut g, &rec.x_out));
    write_states(gpu, &rec.states, cfg.seed);
    let p = g.finish();
    let all: Vec<f32> = (0..n).flat_map(|_| image.iter().copied()).collect();
    gpu.write(&x0.val, &all);
    let mut rewards = Vec::new();
    if let (Some(loss), Some(dx)) = (&loss, &x0.grad) {
        let (m, v, hyper) = (
            gpu.zeros(&[n * chw]),
            gpu.zeros(&[n * chw]),
            gpu.zeros(&[8]),
        );
        let flat = |t: &crate::gpu::GpuTensor| t.reshape(&[n * chw]);
        let mut opt = Program::new();
        opt.push(adam(gpu, &flat(&x0.val), &flat(dx), &m, &v, &hyper));
        let acfg = AdamConfig {
            lr: cfg.lr,
            ..Default::default()
        };
        for it in 0..cfg.iters {
            gpu.write(&hyper, &adam_hyper(&acfg, it as u64 + 1));
            let mut enc = gpu.device.create_command_encoder(&Default::default());
            for prog in [&p.clear, &p.forward, &p.backward, &opt] {
                prog.encode(&mut enc);
            }
            gpu.queue.submit([enc.finish()]);
            rewards.push(-gpu.read(loss)[0]);
        }
    }
    p.forward.run(gpu);
    if let Some(loss) = &loss {
        rewards.push(-gpu.read(loss)[0]);
    }
    Ok(Edited {
        inputs: gpu.read(&x0.val),
        outputs: gpu.read(&rec.x_out.val),
        rewards,
    })
}
