//! The training loop: one recorded program per step (zero grads, add noise, forward, MSE,
//! backward, Adam), one submit per step, losses read back every `log_every` steps.
//!
//! Beside the [`Trainer`]: the [`Evaluator`] (the same forward pass, scored without
//! training), `metrics.csv` I/O, and Ctrl-C handling.

pub mod eval;
pub mod interrupt;
pub mod memory;
pub mod metrics;
pub mod resume;
pub mod run_folder;

pub use eval::{mean_loss, Evaluator};
pub use metrics::Metrics;

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Result};

use crate::checkpoint::Checkpoint;
use crate::data::Dataset;
use crate::diffusion::schedule::{Schedule, ScheduleKind};
use crate::gpu::{Gpu, GpuTensor, Program};
use crate::kernels::{adam, add_noise, ema, grad_clip};
use crate::model::graph::Graph;
use crate::model::network::{Model, NetConfig};
use crate::util::host_rng::HostRng;

#[derive(Clone, Debug)]
pub struct TrainConfig {
    pub net: NetConfig,
    pub schedule: ScheduleKind,
    pub t_max: usize,
    pub batch: usize,
    pub adam: adam::AdamConfig,
    pub steps: u64,
    pub seed: u64,
    pub log_every: u64,
    /// Keep an exponential moving average of the weights (and BatchNorm running stats).
    pub ema_decay: Option<f32>,
    /// Reuse step 0's noise and timesteps every step (tests: a pure regression problem).
    pub fixed_noise: bool,
    /// Clip gradients to this global L2 norm before Adam.
    pub grad_clip: Option<f32>,
    /// Probability of replacing a label by the null label (classifier-free guidance).
    pub label_dropout: f32,
}

impl TrainConfig {
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
        })
    }
}

/// A U-Net with its recorded training step.
pub struct Trainer {
    pub gpu: Arc<Gpu>,
    pub cfg: TrainConfig,
    pub net: Model,
    pub schedule: Schedule,
    /// Steps completed so far.
    pub step: u64,
    x0: GpuTensor,
    /// Class labels of the batch (u32 [n]) for a class-conditional network.
    labels: Option<GpuTensor>,
    rng_state: GpuTensor,
    hyper: GpuTensor,
    loss: GpuTensor,
    /// Losses of the last `log_every` steps, one slot per step.
    loss_history: GpuTensor,
    program: Program,
    pending: Vec<u64>,
    ready: Vec<(u64, f32)>,
}

impl Trainer {
    pub fn new(gpu: Arc<Gpu>, cfg: TrainConfig) -> Result<Trainer> {
        if cfg.batch == 0 {
            bail!("batch size must be at least 1");
        }
        let schedule = Schedule::new(cfg.schedule, cfg.t_max)?;
        let mut net = Model::new(&gpu, &cfg.net, cfg.seed)?;
        let (n, c, s) = (cfg.batch, cfg.net.image_channels, cfg.net.image_size);
        check_fits(&gpu, &cfg.net, n)?;
        let chw = c * s * s;
        let x0 = gpu.zeros(&[n, c, s, s]);
        let xt = gpu.zeros(&[n, c, s, s]);
        let eps = gpu.zeros(&[n, c, s, s]);
        let t = gpu.zeros(&[n]);
        let table = gpu.upload(&schedule.gpu_table(), &[schedule.gpu_table().len()]);
        let rng_state = gpu.zeros(&[4]);
        let hyper = gpu.zeros(&[8]);

        let mut g = Graph::new(&gpu, true);
        let x = g.input(xt.clone());
        let labels = (cfg.net.num_classes > 0).then(|| gpu.zeros(&[n]));
        let out = net.forward_cond(&mut g, &x, &t, labels.as_ref());
        let loss = g.mse(&out, &eps);
        let tape = g.finish();

        let grads = net.layout.params.whole(&net.grads);
        let mut program = Program::new();
        program.clear(&grads);
        program.append(tape.clear);
        program.push(add_noise::add_noise(
            &gpu, n, chw, None, &table, &rng_state, &x0, &t, &xt, &eps,
        ));
        program.append(tape.forward);
        program.append(tape.backward);
        let whole = |b| net.layout.params.whole(b);
        if let Some(max_norm) = cfg.grad_clip {
            if max_norm.is_nan() || max_norm <= 0.0 {
                bail!("--grad-clip must be a positive norm, got {max_norm}");
            }
            let norm = gpu.zeros(&[1]);
            program.extend(grad_clip::grad_clip(&gpu, max_norm, &grads, &norm));
        }
        program.push(adam::adam(
            &gpu,
            &whole(&net.params),
            &grads,
            &whole(&net.adam_m),
            &whole(&net.adam_v),
            &hyper,
        ));
        if let Some(decay) = cfg.ema_decay {
            if !(0.0..1.0).contains(&decay) {
                bail!("--ema decay must be in [0, 1), e.g. 0.999; got {decay}");
            }
            let (ep, es) = net.enable_ema(&gpu);
            program.push(ema::ema(
                &gpu,
                decay,
                &net.layout.params.whole(&net.params),
                &ep,
            ));
            program.push(ema::ema(
                &gpu,
                decay,
                &net.layout.stats.whole(&net.stats),
                &es,
            ));
        }
        let loss_history = gpu.zeros(&[cfg.log_every.max(1) as usize]);
        Ok(Trainer {
            gpu,
            cfg,
            net,
            schedule,
            step: 0,
            x0,
            labels,
            rng_state,
            hyper,
            loss,
            loss_history,
            program,
            pending: Vec::new(),
            ready: Vec::new(),
        })
    }

    /// The recorded step (for profiling).
    pub fn program(&self) -> &Program {
        &self.program
    }

    pub fn dispatches_per_step(&self) -> usize {
        self.program.dispatch_count()
    }

    /// The images of step `step`: a fresh permutation of the dataset every epoch, a pure
    /// function of (seed, step), so a resumed run sees exactly the same batches.
    pub fn batch_indices(&self, len: usize, step: u64) -> Vec<usize> {
        let b = self.cfg.batch;
        let mut perm: Option<(usize, Vec<usize>)> = None;
        (0..b)
            .map(|j| {
                let k = step as usize * b + j;
                let (epoch, pos) = (k / len, k % len);
                if perm.as_ref().is_none_or(|p| p.0 != epoch) {
                    perm = Some((epoch, permutation(len, self.cfg.seed, epoch as u64)));
                }
                perm.as_ref().unwrap().1[pos]
            })
            .collect()
    }

    /// One training step on `data`: upload the batch, write this step's RNG key and Adam
    /// constants, and submit the recorded program once.
    pub fn step(&mut self, data: &Dataset) {
        let idx = self.batch_indices(data.len(), self.step);
        let mut batch = Vec::with_capacity(self.x0.len());
        for &i in &idx {
            batch.extend_from_slice(data.image(i));
        }
        self.gpu.write(&self.x0, &batch);
        if let Some(lab) = &self.labels {
            let all = data
                .labels
                .as_ref()
                .expect("a class-conditional run needs labelled data");
            let null = self.cfg.net.num_classes as u32;
            // Label dropout drawn from (seed, step): a resumed run drops the same labels.
            let mut rng = HostRng::new(
                self.cfg.seed ^ 0x1AB3_1D40 ^ self.step.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            );
            let y: Vec<u32> = idx
                .iter()
                .map(|&i| {
                    if rng.uniform() < self.cfg.label_dropout as f64 {
                        null
                    } else {
                        all[i].min(null - 1)
                    }
                })
                .collect();
            self.gpu
                .queue
                .write_buffer(&lab.buf, lab.offset, bytemuck::cast_slice(&y));
        }
        let s = self.cfg.seed;
        let k = if self.cfg.fixed_noise { 0 } else { self.step };
        let st = [s as u32, (s >> 32) as u32, k as u32, (k >> 32) as u32];
        self.gpu.queue.write_buffer(
            &self.rng_state.buf,
            self.rng_state.offset,
            bytemuck::cast_slice(&st),
        );
        self.gpu.write(
            &self.hyper,
            &adam::adam_hyper(&self.cfg.adam, self.step + 1),
        );
        let mut enc = self.gpu.device.create_command_encoder(&Default::default());
        self.program.encode(&mut enc);
        let slot = (self.pending.len() as u64) * 4;
        enc.copy_buffer_to_buffer(
            &self.loss.buf,
            self.loss.offset,
            &self.loss_history.buf,
            self.loss_history.offset + slot,
            4,
        );
        self.gpu.queue.submit([enc.finish()]);
        self.step += 1;
        self.pending.push(self.step);
        if self.pending.len() as u64 >= self.cfg.log_every.max(1) {
            self.flush_losses();
        }
    }

    /// Read back the history slots (the only readback of the loop, every `log_every` steps).
    fn flush_losses(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let all = self.gpu.read(&self.loss_history);
        self.ready
            .extend(self.pending.iter().zip(all).map(|(s, l)| (*s, l)));
        self.pending.clear();
    }

    /// (step, loss) pairs read back since the last call; `flush` forces a readback now.
    pub fn take_losses(&mut self, flush: bool) -> Vec<(u64, f32)> {
        if flush {
            self.flush_losses();
        }
        std::mem::take(&mut self.ready)
    }

    pub fn checkpoint(&self) -> Checkpoint {
        let mut ck = self.net.to_checkpoint(&self.gpu, self.step, true);
        ck.metadata
            .insert("train_config".into(), self.cfg.to_json().to_string());
        ck.metadata.insert(
            "rng".into(),
            serde_json::json!({"seed": self.cfg.seed, "step": self.step}).to_string(),
        );
        ck.metadata.insert(
            "schedule".into(),
            format!("{:?}", self.cfg.schedule).to_lowercase(),
        );
        ck.metadata
            .insert("t_max".into(), self.cfg.t_max.to_string());
        ck
    }

    pub fn resume_from(&mut self, ck: &Checkpoint) -> Result<()> {
        self.net.load_checkpoint(&self.gpu, ck, true)?;
        if self.cfg.ema_decay.is_some() {
            self.net.load_ema(&self.gpu, ck)?;
        }
        self.step = resume::step(ck)?;
        Ok(())
    }
}

/// Stop on a non-finite loss. The weights are already poisoned; `saved` is the step of the
/// last checkpoint written to `checkpoint` by this run or resumed from (every checkpoint is
/// written only after the losses up to its step were read back and found finite, and its
/// weights checked).
pub fn check_finite(
    losses: &[(u64, f32)],
    lr: f32,
    checkpoint: &Path,
    saved: Option<u64>,
) -> Result<()> {
    match losses.iter().find(|p| !p.1.is_finite()) {
        Some((s, l)) => Err(diverged(
            &format!("the loss became {l}"),
            *s,
            lr,
            checkpoint,
            saved,
        )),
        None => Ok(()),
    }
}

/// The divergence error: what went non-finite at `step`, which checkpoint is kept (if any)
/// and what to try instead.
pub fn diverged(
    what: &str,
    step: u64,
    lr: f32,
    checkpoint: &Path,
    saved: Option<u64>,
) -> anyhow::Error {
    let kept = match saved {
        Some(at) => format!(
            "The last good checkpoint ({}, step {at}) is kept; resume from it",
            checkpoint.display()
        ),
        None => "No checkpoint was written before this; start again".to_string(),
    };
    anyhow::anyhow!(
        "{what} at step {step}: training diverged. {kept} with a lower learning rate (e.g. --lr {:.0e}) or with --grad-clip 1.0",
        (lr as f64 / 10.0).min(1e-3)
    )
}

/// Fisher-Yates permutation of 0..len keyed by (seed, epoch).
pub fn permutation(len: usize, seed: u64, epoch: u64) -> Vec<usize> {
    let mut rng = HostRng::new(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ epoch);
    let mut p: Vec<usize> = (0..len).collect();
    for i in (1..len).rev() {
        p.swap(i, rng.below(i as u64 + 1) as usize);
    }
    p
}

/// The network's largest activation must fit one storage binding.
pub fn check_fits(gpu: &Gpu, net: &NetConfig, batch: usize) -> Result<()> {
    net.validate()?;
    let per_image = crate::model::nets::activations(net).largest;
    let limit = gpu.max_binding_elems();
    if per_image * batch as u64 > limit {
        let fix = if limit / per_image >= 1 {
            format!("the largest batch that fits is {}", limit / per_image)
        } else {
            let per_pixel = per_image * batch as u64 / (net.image_size * net.image_size) as u64;
            let s = ((limit / per_pixel) as f64).sqrt() as usize / 4 * 4;
            format!("no batch fits at {0}x{0}; the largest --image-size that fits at batch {batch} is {s}", net.image_size)
        };
        bail!(
            "batch {batch} of {}x{} images is too large for this adapter: the largest activation would need {} MiB but the adapter's max storage binding is {} MiB; {fix}",
            net.image_size,
            net.image_size,
            (per_image * batch as u64 * 4) >> 20,
            (limit * 4) >> 20,
        );
    }
    Ok(())
}
