//! DRaFT-K (Clark et al. 2023, "Directly Fine-Tuning Diffusion Models on Differentiable
//! Rewards"): sample with the model's own sampler, run the first steps without a tape, record
//! the last K "U-Net -> denoise" steps on one, score the samples with a differentiable reward
//! and backpropagate it through those K steps into the weights (Adam). BatchNorm runs in
//! evaluation mode as in sampling (running statistics frozen; gamma and beta still learn).
//! The K recorded steps are planned once like the training step: each has its own activation
//! buffers, so memory grows with K (no gradient checkpointing yet).

pub mod chain;
pub mod edit;

use std::sync::Arc;

use anyhow::{bail, Result};

use crate::diffusion::sampler::SamplerConfig;
use crate::diffusion::schedule::Schedule;
use crate::gpu::{Gpu, GpuTensor, Program};
use crate::kernels::adam::{adam, adam_hyper, AdamConfig};
use crate::kernels::denoise::{denoise, sampler_advance, sampler_prepare};
use crate::kernels::rng::rng_normal_fill;
use crate::model::graph::Graph;
use crate::model::unet::UNet;
pub use chain::{write_states, Reward, StepsSpec};

#[derive(Clone, Debug)]
pub struct FinetuneConfig {
    /// The sampler whose last `k` steps are differentiated (its seed is the run's seed).
    pub sampler: SamplerConfig,
    pub k: usize,
    pub batch: usize,
    pub adam: AdamConfig,
    pub reward: Reward,
}

/// A loaded U-Net with its recorded fine-tuning step.
pub struct Finetuner {
    gpu: Arc<Gpu>,
    pub net: UNet,
    pub cfg: FinetuneConfig,
    /// Fine-tuning steps done.
    pub step: u64,
    /// Untaped steps before the recorded ones.
    prefix_steps: usize,
    prefix_state: GpuTensor,
    init: Program,
    prefix: Program,
    /// The recorded forward (chain and reward) alone, to score a seed without training.
    forward: Program,
    /// After `forward`: clear the gradients, backward, Adam.
    train: Program,
    states: Vec<(usize, GpuTensor)>,
    hyper: GpuTensor,
    loss: GpuTensor,
    /// The final samples x_0 [n, c, h, w].
    pub x_out: GpuTensor,
}

impl Finetuner {
    pub fn new(
        gpu: &Arc<Gpu>,
        net: UNet,
        schedule: &Schedule,
        cfg: FinetuneConfig,
    ) -> Result<Self> {
        if cfg.batch == 0 {
            bail!("--batch must be at least 1");
        }
        let ts_host = cfg.sampler.timesteps(schedule.t_max)?;
        let steps = ts_host.len() - 1;
        if cfg.k == 0 || cfg.k > steps {
            bail!(
                "-K {} must be in 1..={steps} (the sampler's step count)",
                cfg.k
            );
        }
        crate::train::check_fits(gpu, &net.cfg, cfg.batch)?;
        let n = cfg.batch;
        let (c, s) = (net.cfg.image_channels, net.cfg.image_size);
        let spec = StepsSpec::new(
            gpu,
            cfg.sampler.mode(),
            cfg.sampler.clip_x0,
            &schedule.gpu_table(),
            ts_host,
            &net,
            n,
        );
        // The tape: x at the first recorded step -> K x (U-Net -> denoise) -> reward.
        let mut g = Graph::frozen_bn(gpu);
        let x_in = g.var(&[n, c, s, s]);
        let prefix_steps = steps - cfg.k;
        let rec = spec.record(&mut g, &net, &x_in, prefix_steps);
        let loss = cfg.reward.record(&mut g, &rec.x_out);
        let tape = g.finish();
        // The untaped prefix, in place on x_in: x_T, then [prepare, model, denoise, advance].
        let prefix_state = gpu.zeros(&[4]);
        let t_batch = gpu.zeros(&[n]);
        let mut eg = Graph::new(gpu, false);
        let xe = eg.input(x_in.val.clone());
        let eps = net.forward_cond(&mut eg, &xe, &t_batch, spec.labels.as_ref());
        let mut init = Program::new();
        init.push(rng_normal_fill(gpu, &prefix_state, &x_in.val));
        let mut prefix = Program::new();
        prefix.push(sampler_prepare(gpu, n, &spec.ts, &prefix_state, &t_batch));
        prefix.append(eg.finish().forward);
        prefix.push(denoise(
            gpu,
            n,
            c * s * s,
            spec.mode,
            spec.clip_x0,
            &spec.table,
            &spec.ts,
            &prefix_state,
            &eps.val,
            &x_in.val,
        ));
        prefix.push(sampler_advance(gpu, steps - 1, &prefix_state));
        let hyper = gpu.zeros(&[8]);
        let grads = net.layout.params.whole(&net.grads);
        let mut train = Program::new();
        train.clear(&grads);
        train.append(tape.clear);
        let mut forward = Program::new();
        forward.append(tape.forward);
        train.append(tape.backward);
        train.push(adam(
            gpu,
            &net.layout.params.whole(&net.params),
            &grads,
            &net.layout.params.whole(&net.adam_m),
            &net.layout.params.whole(&net.adam_v),
            &hyper,
        ));
        Ok(Finetuner {
            gpu: gpu.clone(),
            net,
            cfg,
            step: 0,
            prefix_steps,
            prefix_state,
            init,
            prefix,
            forward,
            train,
            states: rec.states,
            hyper,
            loss,
            x_out: rec.x_out.val,
        })
    }

    /// Encode sampling with `seed` up to the recorded steps, and the recorded forward.
    fn encode_forward(&self, seed: u64, enc: &mut wgpu::CommandEncoder) {
        let words = [0u32, seed as u32, (seed >> 32) as u32, 0];
        self.gpu.queue.write_buffer(
            &self.prefix_state.buf,
            self.prefix_state.offset,
            bytemuck::cast_slice(&words),
        );
        write_states(&self.gpu, &self.states, seed);
        self.init.encode(enc);
        for _ in 0..self.prefix_steps {
            self.prefix.encode(enc);
        }
        self.forward.encode(enc);
    }

    /// The seed of fine-tuning step `step`: fresh x_T and z every step.
    fn step_seed(&self, step: u64) -> u64 {
        self.cfg
            .sampler
            .seed
            .wrapping_add(step.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// One fine-tuning step; returns the batch's reward before the update.
    pub fn step(&mut self) -> Result<f32> {
        let seed = self.step_seed(self.step);
        self.gpu
            .write(&self.hyper, &adam_hyper(&self.cfg.adam, self.step + 1));
        let mut enc = self.gpu.device.create_command_encoder(&Default::default());
        self.encode_forward(seed, &mut enc);
        self.train.encode(&mut enc);
        self.gpu.queue.submit([enc.finish()]);
        self.step += 1;
        let loss = self.gpu.read(&self.loss)[0];
        if !loss.is_finite() {
            bail!(
                "the reward became {loss} at fine-tuning step {}: lower --lr",
                self.step
            );
        }
        Ok(-loss)
    }

    /// Mean reward of samples drawn with `seed` (no update), and the samples.
    pub fn score(&self, seed: u64) -> (f32, Vec<f32>) {
        let mut enc = self.gpu.device.create_command_encoder(&Default::default());
        self.encode_forward(seed, &mut enc);
        self.gpu.queue.submit([enc.finish()]);
        (-self.gpu.read(&self.loss)[0], self.gpu.read(&self.x_out))
    }
}
