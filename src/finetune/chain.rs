//! The pieces a differentiable sampler chain is built from: the recorded reverse steps
//! ("U-Net -> denoise" K times on one tape) and the rewards scored on their output.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};

use crate::gpu::{Gpu, GpuTensor};
use crate::kernels::denoise::{DenoiseMode, DenoiseStep};
use crate::kernels::dpm_solver::{dpm_coefficients, gpu_coefficients, DpmStep, COEF_FLOATS};
use crate::kernels::prediction::Prediction;
use crate::model::graph::{Graph, Var};
use crate::model::network::Model;
use crate::quality::Classifier;

/// A differentiable reward on generated images x in [-1, 1] (one per image, averaged over
/// the batch). Each is recorded on the tape as its loss, -reward, so backward seeds
/// the gradient that raises the reward.
#[derive(Clone, Debug, PartialEq)]
pub enum Reward {
    /// Brightness: -mean((x - 1)^2), the negative mean squared distance to a white image; it
    /// rises as every pixel brightens towards 1.
    Brightness,
    /// Similarity to a target image (c*h*w values in [-1, 1]): -mean((x - target)^2).
    Target(Vec<f32>),
    /// log p(class | x) under the sample-quality classifier (`wgpu-ddpm quality`).
    Class(ClassReward),
}

/// The classifier reward: mean log-probability of `class` under the classifier at `path`.
#[derive(Clone)]
pub struct ClassReward {
    pub classifier: Arc<Classifier>,
    pub class: usize,
    pub path: PathBuf,
}

impl std::fmt::Debug for ClassReward {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "class {} under {}", self.class, self.path.display())
    }
}

impl PartialEq for ClassReward {
    fn eq(&self, other: &Self) -> bool {
        self.class == other.class && self.path == other.path
    }
}

impl Reward {
    /// `brightness` or `target:IMAGE` (an image file, resized to the network's size); see
    /// `parse_for` for `class:N`.
    pub fn parse(s: &str, c: usize, size: usize) -> Result<Reward> {
        if s == "brightness" {
            return Ok(Reward::Brightness);
        }
        if let Some(path) = s.strip_prefix("target:") {
            let ds = crate::data::load(
                &crate::data::DataSpec::parse(path)?,
                &crate::data::LoadOptions {
                    size: Some(size),
                    channels: c,
                    ..Default::default()
                },
            )?;
            return Ok(Reward::Target(ds.image(0).to_vec()));
        }
        if s.starts_with("class:") {
            bail!("--reward {s}: the classifier reward needs a checkpoint to find the classifier beside (see Reward::parse_for)");
        }
        bail!("--reward {s}: use brightness, target:IMAGE (a PNG/JPEG to resemble) or class:N")
    }

    /// As `parse`, plus `class:N`: the classifier `wgpu-ddpm quality --checkpoint CK` caches
    /// as quality_classifier.safetensors beside the checkpoint `ck`.
    pub fn parse_for(s: &str, c: usize, size: usize, gpu: &Gpu, ck: &Path) -> Result<Reward> {
        let Some(n) = s.strip_prefix("class:") else {
            return Reward::parse(s, c, size);
        };
        let class: usize = n
            .parse()
            .with_context(|| format!("--reward {s}: N must be a class number"))?;
        let path = ck
            .parent()
            .unwrap_or(Path::new("."))
            .join("quality_classifier.safetensors");
        if !path.exists() {
            bail!(
                "--reward {s}: no classifier at {}; train it first with `wgpu-ddpm quality --checkpoint {}`",
                path.display(),
                ck.display()
            );
        }
        let (classifier, _) = Classifier::load(gpu, &path)
            .with_context(|| format!("--reward {s}: reading {}", path.display()))?;
        let cc = &classifier.cfg;
        if (cc.image_channels, cc.image_size) != (c, size) {
            bail!(
                "--reward {s}: the classifier at {} takes {}x{}x{} images, the network makes {c}x{size}x{size}",
                path.display(),
                cc.image_channels,
                cc.image_size,
                cc.image_size
            );
        }
        if class >= cc.classes {
            bail!(
                "--reward {s}: the classifier knows classes 0..{}",
                cc.classes - 1
            );
        }
        Ok(Reward::Class(ClassReward {
            classifier: Arc::new(classifier),
            class,
            path,
        }))
    }

    /// The image the reward pulls every sample towards.
    fn target(&self, chw: usize) -> Vec<f32> {
        match self {
            Reward::Brightness => vec![1.0; chw],
            Reward::Target(t) => t.clone(),
            Reward::Class(_) => unreachable!("the classifier reward has no target image"),
        }
    }

    /// Record the loss (-reward) of the images `x` [n, c, h, w]: a 1-element tensor whose
    /// backward seeds x's gradient.
    pub fn record(&self, g: &mut Graph, x: &Var) -> GpuTensor {
        let n = x.shape()[0];
        if let Reward::Class(r) = self {
            // Mean cross-entropy = -mean log p(class | x); the classifier's own weights
            // also collect gradients on this tape, which nothing applies.
            let (_, logits) = r.classifier.forward(g, x);
            let labels = g.gpu.upload_u32(&vec![r.class as u32; n], &[n]);
            return g.softmax_cross_entropy(&logits, &labels).0;
        }
        let chw = x.val.len() / n;
        let one = self.target(chw);
        assert_eq!(
            one.len(),
            chw,
            "reward target has {} values, images have {chw}",
            one.len()
        );
        let all: Vec<f32> = (0..n).flat_map(|_| one.iter().copied()).collect();
        let target = g.gpu.upload(&all, &x.val.shape);
        g.mse(x, &target)
    }
}

/// The sampler steps a chain records: update, schedule table, timesteps and (for
/// class-conditional networks) the labels the U-Net is run with.
#[derive(Clone, Debug)]
pub struct StepsSpec {
    pub mode: DenoiseMode,
    pub clip_x0: bool,
    /// What the network's output means; each recorded step converts it (and differentiates
    /// through the conversion).
    pub pred: Prediction,
    pub table: GpuTensor,
    pub ts: GpuTensor,
    pub ts_host: Vec<u32>,
    pub labels: Option<GpuTensor>,
    /// DPM-Solver++ 2M's coefficient table when the steps are its, not `mode`'s denoise.
    pub dpm: Option<GpuTensor>,
}

/// Steps recorded on a tape: the final x and, per step, its position k and state tensor.
pub struct RecordedSteps {
    pub x_out: Var,
    pub states: Vec<(usize, GpuTensor)>,
}

impl StepsSpec {
    pub fn new(
        gpu: &Gpu,
        mode: DenoiseMode,
        clip_x0: bool,
        table: &[f32],
        ts_host: Vec<u32>,
        net: &Model,
        n: usize,
    ) -> StepsSpec {
        let null = net.cfg.num_classes as u32;
        StepsSpec {
            mode,
            clip_x0,
            pred: Prediction::Eps,
            table: gpu.upload(table, &[table.len() / 4, 4]),
            ts: gpu.upload_u32(&ts_host, &[ts_host.len()]),
            ts_host,
            labels: (null > 0).then(|| gpu.upload_u32(&vec![null; n], &[n])),
            dpm: None,
        }
    }

    /// The same timesteps taken by DPM-Solver++ 2M over the schedule's `abar`.
    pub fn dpm_solver(self, gpu: &Gpu, abar: &[f64]) -> Self {
        let coef = gpu_coefficients(&dpm_coefficients(abar, &self.ts_host));
        let rows = self.ts_host.len() - 1;
        StepsSpec {
            dpm: Some(gpu.upload(&coef, &[rows, COEF_FLOATS])),
            ..self
        }
    }

    /// The DPM-Solver++ step reading its k from `state`, if these steps are DPM-Solver++'s.
    pub fn dpm_step(&self, state: &GpuTensor) -> Option<DpmStep> {
        self.dpm.as_ref().map(|coef| DpmStep {
            pred: self.pred,
            clip_x0: self.clip_x0,
            coef: coef.clone(),
            state: state.clone(),
        })
    }

    /// The same steps for a network that predicts `pred`.
    pub fn predicting(self, pred: Prediction) -> Self {
        StepsSpec { pred, ..self }
    }

    /// Record "U-Net -> denoise" for the positions k = from..K (K = ts.len() - 1) starting
    /// at `x`, each step with its own timestep tensor and state. DPM-Solver++ steps pass
    /// their predicted x0 on as a Var; the one before `from` is a zero Var, which only a
    /// chain from 0 (whose first step is first order and does not read it) makes right.
    pub fn record(&self, g: &mut Graph, net: &Model, x: &Var, from: usize) -> RecordedSteps {
        let n = x.shape()[0];
        let mut cur = x.clone();
        let mut x0 = self.dpm.is_some().then(|| g.var(x.shape()));
        let mut states = Vec::new();
        for k in from..self.ts_host.len() - 1 {
            let t = g.gpu.upload_u32(&vec![self.ts_host[k]; n], &[n]);
            let state = g.gpu.upload_u32(&[k as u32, 0, 0, 0], &[4]);
            (cur, x0) = self.record_step(g, net, &cur, x0.as_ref(), &t, &state);
            states.push((k, state));
        }
        RecordedSteps { x_out: cur, states }
    }

    /// Record one "U-Net -> denoise" at the timesteps `t` (u32 [n]) and step `state`:
    /// returns x' and, for DPM-Solver++ (which needs `x0_prev`, the previous step's
    /// predicted x0), this step's predicted x0.
    pub fn record_step(
        &self,
        g: &mut Graph,
        net: &Model,
        x: &Var,
        x0_prev: Option<&Var>,
        t: &GpuTensor,
        state: &GpuTensor,
    ) -> (Var, Option<Var>) {
        let eps = net.forward_cond(g, x, t, self.labels.as_ref());
        if let Some(dpm) = self.dpm_step(state) {
            let prev = x0_prev.expect("a DPM-Solver++ step needs the previous step's x0");
            let (y, x0) = g.dpm_solver(x, &eps, prev, &dpm);
            return (y, Some(x0));
        }
        let step = DenoiseStep {
            mode: self.mode,
            clip_x0: self.clip_x0,
            pred: self.pred,
            table: self.table.clone(),
            ts: self.ts.clone(),
            state: state.clone(),
        };
        (g.denoise(x, &eps, &step), None)
    }
}

/// Write the noise seed of every recorded step (its z is keyed (seed, k)).
pub fn write_states(gpu: &Gpu, states: &[(usize, GpuTensor)], seed: u64) {
    for (k, st) in states {
        let words = [*k as u32, seed as u32, (seed >> 32) as u32, 0];
        gpu.queue
            .write_buffer(&st.buf, st.offset, bytemuck::cast_slice(&words));
    }
}
