//! The GPU sampling loop: start noise, then per step [prepare, model, denoise (or
//! dpm_solver), advance], recorded once and submitted in chunks without reading anything
//! back in between.

use std::sync::Arc;

use anyhow::{bail, Result};

use super::Schedule;
use crate::gpu::{Gpu, GpuTensor, Program};
use crate::kernels::denoise::{
    denoise, denoise_cpu, sampler_advance, sampler_prepare, CpuStep, DenoiseMode, DenoiseStep,
};
use crate::kernels::dpm_solver::{
    dpm_coefficients, dpm_solver, dpm_solver_cpu, gpu_coefficients, DpmStep, COEF_FLOATS,
};
use crate::kernels::prediction::Prediction;
use crate::kernels::rng::{normals_cpu, rng_normal_fill, PURPOSE_XT};

/// DDPM posterior variance choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Variance {
    /// sigma_t^2 = beta_tilde_t = beta_t (1 - abar_{t-1}) / (1 - abar_t) (default).
    #[default]
    Small,
    /// sigma_t^2 = beta_t.
    Large,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SamplerKind {
    /// Ancestral sampling over every t = T..1.
    Ddpm { variance: Variance },
    /// DDIM over `steps` timesteps t_i = round(i T / steps), i = steps..1, then 0;
    /// eta in [0, 1] (0 deterministic, 1 on the full sequence equals DDPM "small").
    Ddim { steps: usize, eta: f32 },
    /// DPM-Solver++ 2M (deterministic) over `steps` in 1..T timesteps spaced as diffusers'
    /// "linspace": t_i = round_half_even(i (T - 1) / steps) + 1, i = steps..1, then 0.
    DpmSolver2M { steps: usize },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SamplerConfig {
    pub kind: SamplerKind,
    /// Clamp the predicted x0 to [-1, 1] inside each step.
    pub clip_x0: bool,
    pub seed: u64,
    /// What the network's output means (the checkpoint's `prediction`); each step converts it.
    pub prediction: Prediction,
}

/// Timesteps per command encoder / submit.
pub const STEPS_PER_SUBMIT: usize = 50;

impl SamplerConfig {
    pub fn validate(&self, t_max: usize) -> Result<()> {
        if let SamplerKind::Ddim { steps, eta } = self.kind {
            if steps == 0 {
                bail!("DDIM steps must be at least 1 (and at most the schedule's T), got 0");
            }
            if steps > t_max {
                bail!("DDIM steps must be in 1..={t_max} (the schedule's T), got {steps}");
            }
            if !(0.0..=1.0).contains(&eta) {
                bail!("DDIM eta must be in [0, 1], got {eta}");
            }
        }
        if let SamplerKind::DpmSolver2M { steps } = self.kind {
            if steps == 0 {
                bail!("DPM-Solver++ steps must be at least 1 (and below the schedule's T), got 0");
            }
            if steps >= t_max {
                bail!(
                    "DPM-Solver++ steps must be in 1..={} (below the schedule's T = {t_max}, so that no two timesteps coincide), got {steps}",
                    t_max - 1
                );
            }
        }
        Ok(())
    }

    pub fn mode(&self) -> DenoiseMode {
        match self.kind {
            SamplerKind::Ddpm {
                variance: Variance::Small,
            } => DenoiseMode::DdpmSmall,
            SamplerKind::Ddpm {
                variance: Variance::Large,
            } => DenoiseMode::DdpmLarge,
            SamplerKind::Ddim { eta, .. } => DenoiseMode::Ddim { eta },
            // Its first-order step is deterministic DDIM; the sampler runs dpm_solver instead.
            SamplerKind::DpmSolver2M { .. } => DenoiseMode::Ddim { eta: 0.0 },
        }
    }

    /// The timestep sequence ts [K+1]: strictly decreasing from T, ending in 0.
    pub fn timesteps(&self, t_max: usize) -> Result<Vec<u32>> {
        self.validate(t_max)?;
        let steps = match self.kind {
            SamplerKind::Ddpm { .. } => t_max,
            SamplerKind::Ddim { steps, .. } => steps,
            SamplerKind::DpmSolver2M { steps } => return Ok(linspace_timesteps(t_max, steps)),
        };
        let mut ts: Vec<u32> = (1..=steps)
            .rev()
            .map(|i| ((i as f64 * t_max as f64 / steps as f64).round() as u32).max(1))
            .collect();
        ts.push(0);
        Ok(ts)
    }
}

/// diffusers' "linspace" spacing in our 1-based t: numpy's
/// `linspace(0, T - 1, steps + 1).round()[::-1][:-1]` (i * ((T - 1) / steps) in f64, the last
/// exactly T - 1, ties to even) plus 1, then 0.
pub fn linspace_timesteps(t_max: usize, steps: usize) -> Vec<u32> {
    let step = (t_max - 1) as f64 / steps as f64;
    let mut ts: Vec<u32> = (1..=steps)
        .rev()
        .map(|i| {
            let v = if i == steps {
                (t_max - 1) as f64
            } else {
                i as f64 * step
            };
            v.round_ties_even() as u32 + 1
        })
        .collect();
    ts.push(0);
    ts
}

pub struct Sampler {
    gpu: Arc<Gpu>,
    cfg: SamplerConfig,
    ts_host: Vec<u32>,
    x: GpuTensor,
    state: GpuTensor,
    init: Program,
    prepare: Program,
    step: Program,
}

impl Sampler {
    /// Records the loop's kernels for `n` images of `chw` elements. `x` (f32 [n, chw]),
    /// `t_batch` (u32 [n]) and `eps` (f32 [n, chw]) are the model's input, time and output
    /// tensors, owned by the caller.
    pub fn new(
        gpu: &Arc<Gpu>,
        schedule: &Schedule,
        cfg: SamplerConfig,
        n: usize,
        chw: usize,
        x: &GpuTensor,
        t_batch: &GpuTensor,
        eps: &GpuTensor,
    ) -> Result<Sampler> {
        let ts_host = cfg.timesteps(schedule.t_max)?;
        if n == 0 || chw == 0 {
            bail!("sampler: nothing to sample (n = {n}, chw = {chw})");
        }
        if x.len() != n * chw || eps.len() != n * chw || t_batch.len() != n {
            bail!(
                "sampler: expected x and eps of {n}x{chw} and t_batch of {n} elements, got {}, {}, {}",
                x.len(),
                eps.len(),
                t_batch.len()
            );
        }
        let table = gpu.upload(&schedule.gpu_table(), &[schedule.t_max + 1, 4]);
        let ts = gpu.upload_u32(&ts_host, &[ts_host.len()]);
        let state = gpu.upload_u32(&[0; 4], &[4]);
        let k_max = ts_host.len() - 2;
        let mut init = Program::new();
        init.push(rng_normal_fill(gpu, &state, x));
        let mut prepare = Program::new();
        prepare.push(sampler_prepare(gpu, n, &ts, &state, t_batch));
        let mut step = Program::new();
        if let SamplerKind::DpmSolver2M { .. } = cfg.kind {
            let coef = gpu_coefficients(&dpm_coefficients(&schedule.abar, &ts_host));
            let dpm = DpmStep {
                pred: cfg.prediction,
                clip_x0: cfg.clip_x0,
                coef: gpu.upload(&coef, &[ts_host.len() - 1, COEF_FLOATS]),
                state: state.clone(),
            };
            // Each step's x0 for the next; the first step does not read it.
            let x0 = gpu.zeros(&[n, chw]);
            step.push(dpm_solver(gpu, n, chw, &dpm, eps, x, &x0));
        } else {
            let denoise_step = DenoiseStep::new(cfg.mode(), cfg.clip_x0, &table, &ts, &state)
                .predicting(cfg.prediction);
            step.push(denoise(gpu, n, chw, &denoise_step, eps, x));
        }
        step.push(sampler_advance(gpu, k_max, &state));
        Ok(Sampler {
            gpu: gpu.clone(),
            cfg,
            ts_host,
            x: x.clone(),
            state,
            init,
            prepare,
            step,
        })
    }

    /// The timestep sequence ts [K+1].
    pub fn timesteps(&self) -> &[u32] {
        &self.ts_host
    }

    /// Number of denoising steps K.
    pub fn steps(&self) -> usize {
        self.ts_host.len() - 1
    }

    /// After how many steps each of `count` snapshots is taken: evenly spaced from 0 (the
    /// start noise x_T) to K (the final sample); a single snapshot is the final sample.
    pub fn snapshot_steps(&self, count: usize) -> Vec<usize> {
        let k = self.steps();
        match count {
            0 => vec![],
            1 => vec![k],
            c => (0..c)
                .map(|j| ((j * k) as f64 / (c - 1) as f64).round() as usize)
                .collect(),
        }
    }

    /// Draws x_T from the seed and runs every step with `model` (which reads x and t_batch
    /// and writes eps), submitting `STEPS_PER_SUBMIT` steps per command buffer and waiting on
    /// a chunk only after the next one is queued. `progress(done, total)` is called as chunks
    /// finish. Returns the final x and `snapshots` copies of x (see `snapshot_steps`).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn run(
        &self,
        model: &Program,
        snapshots: usize,
        progress: impl FnMut(usize, usize),
    ) -> Result<(Vec<f32>, Vec<Vec<f32>>)> {
        pollster::block_on(self.run_async(model, snapshots, progress))
    }

    /// [`Sampler::run`] without blocking. In the browser the waits between chunks return at
    /// once, so `progress` counts chunks queued there, not chunks finished.
    pub async fn run_async(
        &self,
        model: &Program,
        snapshots: usize,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<(Vec<f32>, Vec<Vec<f32>>)> {
        let gpu = &*self.gpu;
        let len = self.x.len();
        let seed = self.cfg.seed;
        gpu.queue.write_buffer(
            &self.state.buf,
            self.state.offset,
            bytemuck::cast_slice(&[0u32, seed as u32, (seed >> 32) as u32, 0]),
        );
        let snap_at = self.snapshot_steps(snapshots);
        let snap = (snapshots > 0).then(|| gpu.zeros(&[snapshots, len]));
        let copy_snapshots = |enc: &mut wgpu::CommandEncoder, done: usize| {
            if let Some(s) = &snap {
                for (j, _) in snap_at.iter().enumerate().filter(|(_, &at)| at == done) {
                    enc.copy_buffer_to_buffer(
                        &self.x.buf,
                        self.x.offset,
                        &s.buf,
                        s.offset + (j * len * 4) as u64,
                        len as u64 * 4,
                    );
                }
            }
        };
        let total = self.steps();
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        self.init.encode(&mut enc);
        copy_snapshots(&mut enc, 0);
        let mut pending: Option<(wgpu::SubmissionIndex, usize)> = None;
        for k in 0..total {
            self.prepare.encode(&mut enc);
            model.encode(&mut enc);
            self.step.encode(&mut enc);
            copy_snapshots(&mut enc, k + 1);
            if (k + 1) % STEPS_PER_SUBMIT == 0 || k + 1 == total {
                let done_enc = std::mem::replace(
                    &mut enc,
                    gpu.device.create_command_encoder(&Default::default()),
                );
                let idx = gpu.queue.submit([done_enc.finish()]);
                // Wait for the previous chunk only now that this one is queued behind it.
                if let Some((prev, done)) = pending.replace((idx, k + 1)) {
                    wait_for(gpu, prev)?;
                    progress(done, total);
                }
            }
        }
        if let Some((idx, done)) = pending {
            wait_for(gpu, idx)?;
            progress(done, total);
        }
        let x = gpu.read_async(&self.x).await;
        let snaps = match &snap {
            Some(s) => (gpu.read_async(s).await)
                .chunks(len)
                .map(<[f32]>::to_vec)
                .collect(),
            None => vec![],
        };
        Ok((x, snaps))
    }
}

fn wait_for(gpu: &Gpu, idx: wgpu::SubmissionIndex) -> Result<()> {
    gpu.device
        .poll(wgpu::PollType::Wait {
            submission_index: Some(idx),
            timeout: None,
        })
        .map(|_| ())
        .map_err(|e| anyhow::anyhow!("GPU wait failed while sampling: {e}"))
}

/// CPU reference of a whole run (f64 steps, the GPU's random numbers): x_T from
/// `normals_cpu(seed, 0, PURPOSE_XT, ..)`, then for each k `eps = model(x, t)` and
/// `denoise_cpu` (`dpm_solver_cpu` for DPM-Solver++). `model(x, t)` returns the network
/// output (eps, x0 or v as `cfg.prediction` says) for all n*chw elements at timestep t.
pub fn sample_cpu(
    schedule: &Schedule,
    cfg: &SamplerConfig,
    len: usize,
    mut model: impl FnMut(&[f32], usize) -> Vec<f32>,
) -> Result<Vec<f32>> {
    let ts = cfg.timesteps(schedule.t_max)?;
    let mut x = normals_cpu(cfg.seed, 0, PURPOSE_XT, len);
    let dpm = matches!(cfg.kind, SamplerKind::DpmSolver2M { .. })
        .then(|| dpm_coefficients(&schedule.abar, &ts));
    let mut x0 = vec![0.0; len];
    for k in 0..ts.len() - 1 {
        let eps = model(&x, ts[k] as usize);
        if let Some(coef) = &dpm {
            (x, x0) = dpm_solver_cpu(&coef[k], cfg.prediction, cfg.clip_x0, &x, &eps, &x0);
        } else {
            let step =
                CpuStep::at(cfg.mode(), cfg.clip_x0, schedule, &ts, k).predicting(cfg.prediction);
            x = denoise_cpu(step, k, cfg.seed, &x, &eps);
        }
    }
    Ok(x)
}
