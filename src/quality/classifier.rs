//! The small classifier behind `wgpu-ddpm quality`, built from our own kernels on the tape:
//! Conv3x3(C, 16) -> ReLU -> MaxPool2 -> Conv3x3(16, 32) -> ReLU -> MaxPool2 -> Linear(64)
//! -> ReLU (the 64 features) -> Linear(K) (logits), trained with softmax cross-entropy and
//! Adam. It is cached as a safetensors file.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context, Result};

use crate::checkpoint::Checkpoint;
use crate::data::Dataset;
use crate::gpu::{Gpu, GpuTensor, Program};
use crate::kernels::adam;
use crate::model::graph::{Graph, Var};
use crate::model::params::Layout;
use crate::util::host_rng::HostRng;

/// Size of the feature vector the Frechet distance is computed on.
pub const FEATURES: usize = 64;
const C1: usize = 16;
const C2: usize = 32;
/// Marks a checkpoint file as a quality classifier.
const KIND: &str = "quality-classifier";

#[derive(Clone, Debug, PartialEq)]
pub struct ClassifierConfig {
    pub image_channels: usize,
    pub image_size: usize,
    pub classes: usize,
}

impl ClassifierConfig {
    fn check(&self) -> Result<()> {
        let (c, s) = (self.image_channels, self.image_size);
        if s == 0 || !s.is_multiple_of(4) || c == 0 || self.classes < 2 {
            bail!(
                "the quality classifier needs images whose size is a multiple of 4 and at least 2 classes (got {c}x{s}x{s}, {} classes)",
                self.classes
            );
        }
        Ok(())
    }

    /// The parameters' names and shapes in layout order; an error when their sizes overflow
    /// (sizes read from a corrupt file), so nothing is allocated from them.
    fn shapes(&self) -> Result<Vec<(&'static str, Vec<usize>)>> {
        let (c, s, k) = (self.image_channels, self.image_size, self.classes);
        let flat = (s / 4).checked_mul(s / 4).and_then(|p| p.checked_mul(C2));
        let shapes = vec![
            ("conv1.weight", vec![C1, c, 3, 3]),
            ("conv1.bias", vec![C1]),
            ("conv2.weight", vec![C2, C1, 3, 3]),
            ("conv2.bias", vec![C2]),
            ("fc1.weight", vec![FEATURES, flat.unwrap_or(usize::MAX)]),
            ("fc1.bias", vec![FEATURES]),
            ("fc2.weight", vec![k, FEATURES]),
            ("fc2.bias", vec![k]),
        ];
        let total = shapes.iter().try_fold(0usize, |t, (_, shape)| {
            let n = shape.iter().try_fold(1usize, |p, d| p.checked_mul(*d))?;
            t.checked_add(n)
        });
        if flat.is_none() || total.is_none() {
            bail!(
                "a quality classifier for {c}x{s}x{s} images and {k} classes is too large to build"
            );
        }
        Ok(shapes)
    }
}

pub struct Classifier {
    pub cfg: ClassifierConfig,
    layout: Layout,
    params: Arc<wgpu::Buffer>,
    grads: Arc<wgpu::Buffer>,
}

impl Classifier {
    pub fn new(gpu: &Gpu, cfg: &ClassifierConfig, seed: u64) -> Result<Classifier> {
        cfg.check()?;
        let mut layout = Layout::new(gpu);
        for (name, shape) in cfg.shapes()? {
            layout.add(name, &shape);
        }
        // PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases.
        let mut rng = HostRng::new(seed ^ 0xC1A5_51F1);
        let mut fan_in = 1;
        let init = layout.join(|e| {
            if e.name.ends_with("weight") {
                fan_in = e.shape[1..].iter().product();
            }
            let b = 1.0 / (fan_in as f32).sqrt();
            Ok(rng.vec_uniform(e.len(), -b, b))
        })?;
        let params = layout.alloc(gpu, "classifier params");
        gpu.write(&layout.whole(&params), &init);
        let grads = layout.alloc(gpu, "classifier grads");
        Ok(Classifier {
            cfg: cfg.clone(),
            layout,
            params,
            grads,
        })
    }

    fn p(&self, name: &str, train: bool) -> Var {
        Var {
            val: self.layout.view(&self.params, name),
            grad: train.then(|| self.layout.view(&self.grads, name)),
        }
    }

    /// Records the network on `g` for images `x` [N, C, S, S]: (features [N, 64] after the
    /// last ReLU, logits [N, K]). In a training graph the parameters get gradients.
    pub fn forward(&self, g: &mut Graph, x: &Var) -> (Var, Var) {
        let t = g.train;
        let n = x.shape()[0];
        let h = g.conv2d(x, &self.p("conv1.weight", t), &self.p("conv1.bias", t));
        let h = g.relu(&h);
        let h = g.maxpool(&h);
        let h = g.conv2d(&h, &self.p("conv2.weight", t), &self.p("conv2.bias", t));
        let h = g.relu(&h);
        let h = g.maxpool(&h);
        let flat = h.val.len() / n;
        let h = g.reshape(&h, &[n, flat]);
        let h = g.linear(&h, &self.p("fc1.weight", t), &self.p("fc1.bias", t));
        let feats = g.relu(&h);
        let logits = g.linear(&feats, &self.p("fc2.weight", t), &self.p("fc2.bias", t));
        (feats, logits)
    }

    /// Train on the labelled `data` for `steps` Adam steps of `batch` images; returns the
    /// mean loss of the last tenth of the steps. `progress(step)` after each step.
    pub fn fit(
        &self,
        gpu: &Arc<Gpu>,
        data: &Dataset,
        steps: u64,
        batch: usize,
        seed: u64,
        mut progress: impl FnMut(u64),
    ) -> Result<f32> {
        let labels = data
            .labels
            .as_ref()
            .context("the quality classifier needs labelled data (builtin, an IDX file with its labels, or a folder with one subfolder per class)")?;
        let (c, s) = (self.cfg.image_channels, self.cfg.image_size);
        let x = gpu.zeros(&[batch, c, s, s]);
        let y = gpu.zeros(&[batch]);
        let mut g = Graph::new(gpu, true);
        let xv = g.input(x.clone());
        let (_, logits) = self.forward(&mut g, &xv);
        let (loss, _) = g.softmax_cross_entropy(&logits, &y);
        let tape = g.finish();
        let whole = |b: &Arc<wgpu::Buffer>| self.layout.whole(b);
        let (m, v) = (
            self.layout.alloc(gpu, "classifier adam m"),
            self.layout.alloc(gpu, "classifier adam v"),
        );
        let hyper = gpu.zeros(&[8]);
        let mut prog = Program::new();
        prog.clear(&whole(&self.grads));
        prog.append(tape.clear);
        prog.append(tape.forward);
        prog.append(tape.backward);
        prog.push(adam::adam(
            gpu,
            &whole(&self.params),
            &whole(&self.grads),
            &whole(&m),
            &whole(&v),
            &hyper,
        ));
        let tail = (steps / 10).max(1);
        let history = gpu.zeros(&[tail as usize]);
        let cfg = adam::AdamConfig::default();
        let mut rng = HostRng::new(seed ^ 0x5EED_C1A5);
        let mut xb = Vec::with_capacity(x.len());
        for step in 0..steps {
            xb.clear();
            let idx: Vec<usize> = (0..batch)
                .map(|_| rng.below(data.len() as u64) as usize)
                .collect();
            for &i in &idx {
                xb.extend_from_slice(data.image(i));
            }
            let yb: Vec<u32> = idx
                .iter()
                .map(|&i| labels[i].min(self.cfg.classes as u32 - 1))
                .collect();
            gpu.write(&x, &xb);
            write_u32(gpu, &y, &yb);
            gpu.write(&hyper, &adam::adam_hyper(&cfg, step + 1));
            let mut enc = gpu.device.create_command_encoder(&Default::default());
            prog.encode(&mut enc);
            if step + tail >= steps {
                let slot = (step + tail - steps) * 4;
                enc.copy_buffer_to_buffer(
                    &loss.buf,
                    loss.offset,
                    &history.buf,
                    history.offset + slot,
                    4,
                );
            }
            gpu.queue.submit([enc.finish()]);
            progress(step + 1);
        }
        let h = gpu.read(&history);
        Ok(h.iter().sum::<f32>() / h.len() as f32)
    }

    /// Features [n, 64] and log-probabilities [n, K] of `images` (n * C*S*S values), in
    /// batches of `batch` on an evaluation graph recorded once.
    pub fn embed(&self, gpu: &Gpu, images: &[f32], batch: usize) -> (Vec<f32>, Vec<f32>) {
        let (c, s, k) = (
            self.cfg.image_channels,
            self.cfg.image_size,
            self.cfg.classes,
        );
        let chw = c * s * s;
        let n = images.len() / chw;
        let x = gpu.zeros(&[batch, c, s, s]);
        let mut g = Graph::new(gpu, false);
        let xv = g.input(x.clone());
        let (feats, logits) = self.forward(&mut g, &xv);
        let y = gpu.zeros(&[batch]);
        let (_, logp) = g.softmax_cross_entropy(&logits, &y);
        let prog = g.finish().forward;
        let (mut f, mut lp) = (Vec::with_capacity(n * FEATURES), Vec::with_capacity(n * k));
        for start in (0..n).step_by(batch) {
            let m = batch.min(n - start);
            let mut xb = images[start * chw..(start + m) * chw].to_vec();
            xb.resize(batch * chw, 0.0);
            gpu.write(&x, &xb);
            prog.run(gpu);
            f.extend_from_slice(&gpu.read(&feats.val)[..m * FEATURES]);
            lp.extend_from_slice(&gpu.read(&logp)[..m * k]);
        }
        (f, lp)
    }

    /// Write the weights and config (atomically) as safetensors; `about` names the data.
    pub fn save(&self, gpu: &Gpu, path: &Path, about: &str) -> Result<()> {
        let mut ck = Checkpoint::default();
        let flat = gpu.read(&self.layout.whole(&self.params));
        for (name, shape, data) in self.layout.split(&flat) {
            ck.insert(&name, &shape, data);
        }
        let md = &mut ck.metadata;
        md.insert("kind".into(), KIND.into());
        md.insert("image_channels".into(), self.cfg.image_channels.to_string());
        md.insert("image_size".into(), self.cfg.image_size.to_string());
        md.insert("classes".into(), self.cfg.classes.to_string());
        md.insert("data".into(), about.into());
        ck.save(path)
    }

    /// Load a classifier written by [`Classifier::save`]; returns it and the data it names.
    pub fn load(gpu: &Gpu, path: &Path) -> Result<(Classifier, String)> {
        let ck = Checkpoint::load(path)?;
        let cfg = Self::checked_config(&ck, &path.display().to_string())?;
        let net = Classifier::new(gpu, &cfg, 0)?;
        let flat = net
            .layout
            .join(|e| Ok(ck.get(&e.name, &e.shape)?.to_vec()))
            .with_context(|| format!("loading {}", path.display()))?;
        gpu.write(&net.layout.whole(&net.params), &flat);
        let about = ck.metadata.get("data").cloned().unwrap_or_default();
        Ok((net, about))
    }

    /// What `load` checks of a classifier file (parsed into `ck`, read from `path`) before
    /// allocating anything: our metadata, a buildable configuration, and every tensor there
    /// with its exact shape.
    pub fn checked_config(ck: &Checkpoint, path: &str) -> Result<ClassifierConfig> {
        let md = |k: &str| -> Result<usize> {
            ck.metadata
                .get(k)
                .and_then(|v| v.parse().ok())
                .with_context(|| format!("{path} is not a quality classifier (no '{k}' in its metadata); delete it or pass another --classifier path"))
        };
        if ck.metadata.get("kind").map(String::as_str) != Some(KIND) {
            bail!("{path} is not a quality classifier; pass another --classifier path");
        }
        let cfg = ClassifierConfig {
            image_channels: md("image_channels")?,
            image_size: md("image_size")?,
            classes: md("classes")?,
        };
        cfg.check()?;
        for (name, shape) in cfg.shapes()? {
            ck.get(name, &shape)
                .with_context(|| format!("loading {path}"))?;
        }
        Ok(cfg)
    }
}

fn write_u32(gpu: &Gpu, t: &GpuTensor, v: &[u32]) {
    gpu.queue
        .write_buffer(&t.buf, t.offset, bytemuck::cast_slice(v));
}
