//! The training loop: one recorded program per step (zero grads, add noise, then per
//! micro-batch forward, MSE and backward, then Adam and the EMA), one submit per step, losses
//! read back every `log_every` steps.
//!
//! Beside the [`Trainer`]: the [`Evaluator`] (the same forward pass, scored without
//! training), `metrics.csv` I/O, and Ctrl-C handling.

pub mod batch;
pub mod config;
pub mod eval;
pub mod guard;
#[cfg(not(target_arch = "wasm32"))]
pub mod interrupt;
pub mod memory;
pub mod metrics;
pub mod optim;
pub mod resume;
pub mod run_folder;

pub use batch::permutation;
pub use config::TrainConfig;
#[cfg(not(target_arch = "wasm32"))]
pub use eval::mean_loss;
pub use eval::{mean_loss_async, Evaluator};
pub use guard::{check_finite, diverged};
pub use memory::check_fits;
pub use metrics::Metrics;
pub use optim::{EmaWarmup, LrKind, LrSchedule};

use std::sync::Arc;

use anyhow::{bail, Result};

use crate::checkpoint::Checkpoint;
use crate::data::Dataset;
use crate::diffusion::schedule::Schedule;
use crate::gpu::{Gpu, GpuTensor, Program};
use crate::kernels::{adam, add_noise, ema, grad_clip, snr_weight};
use crate::model::graph::Graph;
use crate::model::network::Model;

/// A U-Net with its recorded training step.
pub struct Trainer {
    pub gpu: Arc<Gpu>,
    pub cfg: TrainConfig,
    pub net: Model,
    pub schedule: Schedule,
    /// Steps completed so far.
    pub step: u64,
    /// The images of a whole optimizer step (all micro-batches).
    x0: GpuTensor,
    /// Class labels of a whole optimizer step (u32) for a class-conditional network.
    labels: Option<GpuTensor>,
    rng_state: GpuTensor,
    hyper: GpuTensor,
    /// The EMA decay of the step ([1]), when an EMA is kept.
    ema_decay: Option<GpuTensor>,
    /// The loss of each micro-batch of the step ([grad_accum]).
    loss: GpuTensor,
    /// Micro-batch losses of the last `log_every` steps, one slot each.
    loss_history: GpuTensor,
    program: Program,
    pending: Vec<u64>,
    ready: Vec<(u64, f32)>,
}

/// Part `m` of `parts` equal parts of `t` (a view for buffer copies, which need only 4-byte
/// alignment, not the storage binding offset alignment).
fn part(t: &GpuTensor, m: usize, parts: usize) -> GpuTensor {
    let len = t.len() / parts;
    GpuTensor::new(t.buf.clone(), t.offset + (m * len * 4) as u64, &[len])
}

impl Trainer {
    pub fn new(gpu: Arc<Gpu>, cfg: TrainConfig) -> Result<Trainer> {
        if cfg.batch == 0 {
            bail!("batch size must be at least 1");
        }
        if cfg.grad_accum == 0 {
            bail!("--grad-accum must be at least 1 (1: no accumulation)");
        }
        if let Some(g) = cfg.min_snr_gamma.filter(|g| !(g.is_finite() && *g > 0.0)) {
            bail!("--min-snr-gamma must be a positive number (5 is the paper's choice), got {g}");
        }
        let schedule = Schedule::new(cfg.schedule, cfg.t_max)?;
        let mut net = Model::new(&gpu, &cfg.net, cfg.seed)?;
        net.prediction = cfg.prediction;
        let (n, c, s) = (cfg.batch, cfg.net.image_channels, cfg.net.image_size);
        let (acc, all) = (cfg.grad_accum, cfg.effective_batch());
        check_fits(&gpu, &cfg.net, n)?;
        let chw = c * s * s;
        let x0 = gpu.zeros(&[all, c, s, s]);
        let xt = gpu.zeros(&[n, c, s, s]);
        let eps = gpu.zeros(&[n, c, s, s]);
        let t = gpu.zeros(&[n]);
        let weights = cfg.min_snr_gamma.map(|_| gpu.zeros(&[n]));
        let table = gpu.upload(&schedule.gpu_table(), &[schedule.gpu_table().len()]);
        let rng_state = gpu.zeros(&[4]);
        let hyper = gpu.zeros(&[8]);

        let mut g = Graph::new(&gpu, true);
        let x = g.input(xt.clone());
        let labels = (cfg.net.num_classes > 0).then(|| gpu.zeros(&[n]));
        let out = net.forward_cond(&mut g, &x, &t, labels.as_ref());
        // Each micro-batch's gradient is its share of the mean over the whole step.
        let loss = g.mse_weighted_over(&out, &eps, weights.as_ref(), all * chw);
        let tape = g.finish();

        let grads = net.layout.params.whole(&net.grads);
        let mut program = Program::new();
        program.clear(&grads);
        // Without accumulation the noise goes straight into the network's inputs; with it,
        // the whole step is noised at once (the draws of one batch of batch * N images) and
        // each micro-batch copies its part in.
        let whole_step = |x: &GpuTensor, shape: &[usize]| match acc {
            1 => x.clone(),
            _ => gpu.zeros(shape),
        };
        let (xt_all, eps_all, t_all) = (
            whole_step(&xt, &[all, c, s, s]),
            whole_step(&eps, &[all, c, s, s]),
            whole_step(&t, &[all]),
        );
        let labels_all = labels.as_ref().map(|l| whole_step(l, &[all]));
        // `eps` holds the training target, which is eps itself only for eps-prediction.
        let io = [&x0, &t_all, &xt_all, &eps_all];
        let (pred, gamma) = (cfg.prediction, cfg.min_snr_gamma);
        program.push(add_noise::add_noise_target(
            &gpu, pred, all, chw, None, &table, &rng_state, io,
        ));
        let weights_all = weights.as_ref().map(|w| whole_step(w, &[all]));
        if let (Some(w), Some(gamma)) = (&weights_all, gamma) {
            program.push(snr_weight::snr_weight(&gpu, pred, gamma, &table, &t_all, w));
        }
        let micro_losses = whole_step(&loss, &[acc]);
        for m in 0..acc {
            if acc > 1 {
                program.copy(&part(&xt_all, m, acc), &xt);
                program.copy(&part(&eps_all, m, acc), &eps);
                program.copy(&part(&t_all, m, acc), &t);
                if let (Some(all), Some(w)) = (&weights_all, &weights) {
                    program.copy(&part(all, m, acc), w);
                }
                if let (Some(all), Some(l)) = (&labels_all, &labels) {
                    program.copy(&part(all, m, acc), l);
                }
            }
            program.append(tape.clear.clone());
            program.append(tape.forward.clone());
            program.append(tape.backward.clone());
            if acc > 1 {
                program.copy(&loss, &part(&micro_losses, m, acc));
            }
        }
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
        let ema_decay = match cfg.ema_decay {
            None if cfg.ema_warmup.is_some() => bail!("EMA warmup needs an EMA decay"),
            None => None,
            Some(decay) => {
                if !(0.0..1.0).contains(&decay) {
                    bail!("--ema decay must be in [0, 1), e.g. 0.999; got {decay}");
                }
                if let Some(w) = cfg.ema_warmup {
                    w.validate()?;
                }
                let d = gpu.zeros(&[1]);
                let (ep, es) = net.enable_ema(&gpu);
                let (params, stats) = (&net.layout.params, &net.layout.stats);
                let whole_stats = stats.whole(&net.stats);
                program.push(ema::ema(&gpu, &d, &params.whole(&net.params), &ep));
                program.push(ema::ema(&gpu, &d, &whole_stats, &es));
                Some(d)
            }
        };
        let loss_history = gpu.zeros(&[cfg.log_every.max(1) as usize * acc]);
        Ok(Trainer {
            gpu,
            cfg,
            net,
            schedule,
            step: 0,
            x0,
            labels: labels_all,
            rng_state,
            hyper,
            ema_decay,
            loss: micro_losses,
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

    /// The images of step `step` (all its micro-batches): see [`batch::indices`].
    pub fn batch_indices(&self, len: usize, step: u64) -> Vec<usize> {
        batch::indices(len, self.cfg.seed, self.cfg.effective_batch(), step)
    }

    /// One optimizer step on `data`: upload the batch, write this step's RNG key, learning
    /// rate, Adam constants and EMA decay, and submit the recorded program once.
    /// One training step; every `log_every` steps its losses are read back (blocking).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn step(&mut self, data: &Dataset) {
        if self.submit_step(data) {
            self.flush_losses();
        }
    }

    /// Record and submit one step without reading anything back. True when the loss history
    /// is full: then `flush_losses` (or `take_losses_async`) must run before the next step.
    pub fn submit_step(&mut self, data: &Dataset) -> bool {
        let (seed, step) = (self.cfg.seed, self.step);
        let idx = self.batch_indices(data.len(), step);
        let flip = |j| self.cfg.random_flip && batch::flipped(seed, step, j);
        self.gpu.write(&self.x0, &batch::pixels(data, &idx, flip));
        if let Some(lab) = &self.labels {
            let all = data
                .labels
                .as_ref()
                .expect("a class-conditional run needs labelled data");
            let (classes, p) = (self.cfg.net.num_classes, self.cfg.label_dropout);
            let y = batch::labels(all, &idx, classes, p, seed, step);
            self.gpu
                .queue
                .write_buffer(&lab.buf, lab.offset, bytemuck::cast_slice(&y));
        }
        let k = if self.cfg.fixed_noise { 0 } else { step };
        let st = [seed as u32, (seed >> 32) as u32, k as u32, (k >> 32) as u32];
        self.gpu.queue.write_buffer(
            &self.rng_state.buf,
            self.rng_state.offset,
            bytemuck::cast_slice(&st),
        );
        let adam_cfg = adam::AdamConfig {
            lr: self
                .cfg
                .lr_schedule
                .lr(self.cfg.adam.lr, step, self.cfg.steps),
            ..self.cfg.adam
        };
        self.gpu
            .write(&self.hyper, &adam::adam_hyper(&adam_cfg, step + 1));
        if let (Some(d), Some(max)) = (&self.ema_decay, self.cfg.ema_decay) {
            let decay = optim::ema_decay(max, self.cfg.ema_warmup, step + 1);
            self.gpu.write(d, &[decay]);
        }
        let mut enc = self.gpu.device.create_command_encoder(&Default::default());
        self.program.encode(&mut enc);
        let slot = self.pending.len() as u64 * self.loss.bytes();
        enc.copy_buffer_to_buffer(
            &self.loss.buf,
            self.loss.offset,
            &self.loss_history.buf,
            self.loss_history.offset + slot,
            self.loss.bytes(),
        );
        self.gpu.queue.submit([enc.finish()]);
        self.step += 1;
        self.pending.push(self.step);
        self.pending.len() as u64 >= self.cfg.log_every.max(1)
    }

    /// Read back the history slots (the only readback of the loop, every `log_every` steps).
    /// A step's loss is the mean of its micro-batches' losses.
    #[cfg(not(target_arch = "wasm32"))]
    fn flush_losses(&mut self) {
        if !self.pending.is_empty() {
            let all = self.gpu.read(&self.loss_history);
            self.record_losses(&all);
        }
    }

    /// `take_losses(true)` without blocking (the browser's path).
    pub async fn take_losses_async(&mut self) -> Vec<(u64, f32)> {
        if !self.pending.is_empty() {
            let all = self.gpu.read_async(&self.loss_history).await;
            self.record_losses(&all);
        }
        std::mem::take(&mut self.ready)
    }

    fn record_losses(&mut self, all: &[f32]) {
        let acc = self.cfg.grad_accum;
        let means = all.chunks(acc).map(|m| match m {
            [one] => *one,
            _ => (m.iter().map(|l| *l as f64).sum::<f64>() / acc as f64) as f32,
        });
        self.ready
            .extend(self.pending.iter().zip(means).map(|(s, l)| (*s, l)));
        self.pending.clear();
    }

    /// (step, loss) pairs read back since the last call; `flush` forces a readback now.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn take_losses(&mut self, flush: bool) -> Vec<(u64, f32)> {
        if flush {
            self.flush_losses();
        }
        std::mem::take(&mut self.ready)
    }

    /// The gradients of the last step (after clipping), read back: tests of accumulation.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read_grads(&self) -> Vec<f32> {
        self.gpu
            .read(&self.net.layout.params.whole(&self.net.grads))
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub fn checkpoint(&self) -> Checkpoint {
        pollster::block_on(self.checkpoint_async())
    }

    /// [`Trainer::checkpoint`] without blocking (the browser's path).
    pub async fn checkpoint_async(&self) -> Checkpoint {
        let mut ck = (self.net)
            .to_checkpoint_async(&self.gpu, self.step, true)
            .await;
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
