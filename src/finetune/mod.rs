//! DRaFT-K (Clark et al. 2023, "Directly Fine-Tuning Diffusion Models on Differentiable
//! Rewards"): sample with the model's own sampler, run the first steps without a tape, record
//! the last K "U-Net -> denoise" steps on one, score the samples with a differentiable reward
//! and backpropagate it through those K steps into the weights (Adam). BatchNorm runs in
//! evaluation mode as in sampling (running statistics frozen; gamma and beta still learn).
//!
//! Gradient checkpointing: one recorded step (a U-Net and a denoise, planned once like the
//! training step) serves all K. The forward keeps only each step's input image; backward
//! recomputes a step's activations from its input before running its tape (the last step's
//! are still in place), so memory is one step's activations plus K + 1 images whatever K is,
//! for K - 1 extra U-Net forwards per fine-tuning step. DPM-Solver++ 2M steps also read the
//! previous step's predicted x0: it is saved beside each input image (K + 1 more images) and
//! its gradient carried back beside x's.

pub mod chain;
pub mod edit;

use std::sync::Arc;

use anyhow::{bail, Result};

use crate::diffusion::sampler::{SamplerConfig, SamplerKind};
use crate::diffusion::schedule::Schedule;
use crate::gpu::{Gpu, GpuTensor, Program};
use crate::kernels::adam::{adam, adam_hyper, AdamConfig};
use crate::kernels::denoise::{denoise, sampler_advance, sampler_prepare, DenoiseStep};
use crate::kernels::dpm_solver::dpm_solver;
use crate::kernels::rng::rng_normal_fill;
use crate::model::graph::{Graph, Programs, Var};
use crate::model::network::Model;
pub use chain::{write_states, ClassReward, Reward, StepsSpec};

/// A piece of the recorded fine-tuning step: commands of its own, or one of the programs of
/// the recorded step shared by all K (replayed, never copied).
enum Seg {
    Own(Program),
    Forward,
    Clear,
    Backward,
}

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
    pub net: Model,
    pub cfg: FinetuneConfig,
    /// Fine-tuning steps done.
    pub step: u64,
    /// Untaped steps before the recorded ones.
    prefix_steps: usize,
    prefix_state: GpuTensor,
    init: Program,
    prefix: Program,
    /// The one recorded step that serves all K.
    unit: Programs,
    /// The recorded steps and the reward, forward only (to score a seed without training).
    forward: Vec<Seg>,
    /// After `forward`: clear the gradients, backward (recomputing steps), Adam.
    train: Vec<Seg>,
    states: Vec<(usize, GpuTensor)>,
    hyper: GpuTensor,
    loss: GpuTensor,
    /// The final samples x_0 [n, c, h, w].
    pub x_out: GpuTensor,
}

impl Finetuner {
    pub fn new(
        gpu: &Arc<Gpu>,
        net: Model,
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
        let mut spec = StepsSpec::new(
            gpu,
            cfg.sampler.mode(),
            cfg.sampler.clip_x0,
            &schedule.gpu_table(),
            ts_host,
            &net,
            n,
        )
        .predicting(cfg.sampler.prediction);
        let dpm = matches!(cfg.sampler.kind, SamplerKind::DpmSolver2M { .. });
        if dpm {
            spec = spec.dpm_solver(gpu, &schedule.abar);
        }
        let shape = [n, c, s, s];
        let steps_k: Vec<usize> = (steps - cfg.k..steps).collect();
        // Per recorded step: its input image (xs[j]; xs[K] is the sample), state and t.
        let xs: Vec<GpuTensor> = (0..=cfg.k).map(|_| gpu.zeros(&shape)).collect();
        // DPM-Solver++: the previous step's predicted x0 each recorded step also reads.
        let x0s: Vec<GpuTensor> = (0..=cfg.k)
            .filter(|_| dpm)
            .map(|_| gpu.zeros(&shape))
            .collect();
        let states: Vec<(usize, GpuTensor)> = steps_k
            .iter()
            .map(|&k| (k, gpu.upload_u32(&[k as u32, 0, 0, 0], &[4])))
            .collect();
        let t_of: Vec<GpuTensor> = steps_k
            .iter()
            .map(|&k| gpu.upload_u32(&vec![spec.ts_host[k]; n], &[n]))
            .collect();
        // The one recorded step, fed by copies, and the reward on its own tape.
        let (unit_state, unit_t) = (gpu.zeros(&[4]), gpu.zeros(&[n]));
        let mut g = Graph::frozen_bn(gpu);
        let x_in = g.var(&shape);
        let x0_in = dpm.then(|| g.var(&shape));
        let (x_out, x0_out) =
            spec.record_step(&mut g, &net, &x_in, x0_in.as_ref(), &unit_t, &unit_state);
        let unit = g.finish();
        let mut rg = Graph::frozen_bn(gpu);
        let xr = rg.var(&shape);
        let loss = cfg.reward.record(&mut rg, &xr);
        let reward = rg.finish();
        let grad = |v: &Var| v.grad.clone().expect("a taped value has a gradient");
        let (gin, gout, gr) = (grad(&x_in), grad(&x_out), grad(&xr));
        // (x0 saved per step, the unit's x0 input and output) for DPM-Solver++.
        let x0_io = x0_in.as_ref().zip(x0_out.as_ref());
        let load = |j: usize| {
            let mut p = Program::new();
            p.copy(&xs[j], &x_in.val);
            if let Some((i, _)) = x0_io {
                p.copy(&x0s[j], &i.val);
            }
            p.copy(&states[j].1, &unit_state);
            p.copy(&t_of[j], &unit_t);
            Seg::Own(p)
        };
        let copy = |a: &GpuTensor, b: &GpuTensor| {
            let mut p = Program::new();
            p.copy(a, b);
            Seg::Own(p)
        };
        let mut forward = Vec::new();
        for j in 0..cfg.k {
            forward.extend([load(j), Seg::Forward, copy(&x_out.val, &xs[j + 1])]);
            if let Some((_, o)) = x0_io {
                forward.push(copy(&o.val, &x0s[j + 1]));
            }
        }
        forward.push(copy(&xs[cfg.k], &xr.val));
        forward.push(Seg::Own(reward.forward));
        let grads = net.layout.params.whole(&net.grads);
        let mut head = Program::new();
        head.clear(&grads);
        head.append(reward.clear);
        head.append(reward.backward);
        let carry = gpu.zeros(&shape); // dL/d(output of the step being differentiated)
        head.copy(&gr, &carry);
        // dL/d(its predicted x0): nothing reads the last step's, so it starts at zero.
        let carry0 = gpu.zeros(&shape);
        head.clear(&carry0);
        let mut train = vec![Seg::Own(head)];
        for j in (0..cfg.k).rev() {
            if j + 1 < cfg.k {
                train.extend([load(j), Seg::Forward]);
            }
            train.extend([Seg::Clear, copy(&carry, &gout)]);
            if let Some((i, o)) = x0_io {
                train.push(copy(&carry0, &grad(o)));
                train.extend([Seg::Backward, copy(&gin, &carry), copy(&grad(i), &carry0)]);
            } else {
                train.extend([Seg::Backward, copy(&gin, &carry)]);
            }
        }
        // The untaped prefix, in place on xs[0] (and x0s[0], the x0 the first recorded
        // DPM-Solver++ step reads): x_T, then [prepare, model, denoise or dpm_solver, advance].
        let prefix_state = gpu.zeros(&[4]);
        let t_batch = gpu.zeros(&[n]);
        let mut eg = Graph::new(gpu, false);
        let xe = eg.input(xs[0].clone());
        let eps = net.forward_cond(&mut eg, &xe, &t_batch, spec.labels.as_ref());
        let mut init = Program::new();
        init.push(rng_normal_fill(gpu, &prefix_state, &xs[0]));
        let mut prefix = Program::new();
        prefix.push(sampler_prepare(gpu, n, &spec.ts, &prefix_state, &t_batch));
        prefix.append(eg.finish().forward);
        prefix.push(match spec.dpm_step(&prefix_state) {
            Some(step) => dpm_solver(gpu, n, c * s * s, &step, &eps.val, &xs[0], &x0s[0]),
            None => denoise(
                gpu,
                n,
                c * s * s,
                &DenoiseStep::new(
                    spec.mode,
                    spec.clip_x0,
                    &spec.table,
                    &spec.ts,
                    &prefix_state,
                )
                .predicting(spec.pred),
                &eps.val,
                &xs[0],
            ),
        });
        prefix.push(sampler_advance(gpu, steps - 1, &prefix_state));
        let prefix_steps = steps - cfg.k;
        let hyper = gpu.zeros(&[8]);
        let mut opt = Program::new();
        opt.push(adam(
            gpu,
            &net.layout.params.whole(&net.params),
            &grads,
            &net.layout.params.whole(&net.adam_m),
            &net.layout.params.whole(&net.adam_v),
            &hyper,
        ));
        train.push(Seg::Own(opt));
        let x_out = xs[cfg.k].clone();
        Ok(Finetuner {
            gpu: gpu.clone(),
            net,
            cfg,
            step: 0,
            prefix_steps,
            prefix_state,
            init,
            prefix,
            unit,
            forward,
            train,
            states,
            hyper,
            loss,
            x_out,
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
        self.encode_plan(&self.forward, enc);
    }

    fn encode_plan(&self, plan: &[Seg], enc: &mut wgpu::CommandEncoder) {
        for seg in plan {
            match seg {
                Seg::Own(p) => p.encode(enc),
                Seg::Forward => self.unit.forward.encode(enc),
                Seg::Clear => self.unit.clear.encode(enc),
                Seg::Backward => self.unit.backward.encode(enc),
            }
        }
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
        self.encode_plan(&self.train, &mut enc);
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

    /// The reward of samples drawn with `seed` and its gradient dL/dweights (L = -reward) in
    /// the layout of the parameter buffer, without updating anything.
    pub fn gradients(&self, seed: u64) -> (f32, Vec<f32>) {
        let mut enc = self.gpu.device.create_command_encoder(&Default::default());
        self.encode_forward(seed, &mut enc);
        // Everything but the last piece, Adam.
        self.encode_plan(&self.train[..self.train.len() - 1], &mut enc);
        self.gpu.queue.submit([enc.finish()]);
        let grads = self
            .gpu
            .read(&self.net.layout.params.whole(&self.net.grads));
        (-self.gpu.read(&self.loss)[0], grads)
    }

    /// Mean reward of samples drawn with `seed` (no update), and the samples.
    pub fn score(&self, seed: u64) -> (f32, Vec<f32>) {
        let mut enc = self.gpu.device.create_command_encoder(&Default::default());
        self.encode_forward(seed, &mut enc);
        self.gpu.queue.submit([enc.finish()]);
        (-self.gpu.read(&self.loss)[0], self.gpu.read(&self.x_out))
    }
}
