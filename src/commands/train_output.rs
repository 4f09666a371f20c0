//! What `train` writes besides checkpoints: the labelled sample grids and the training
//! chart, and the class names it stores in the checkpoint for `sample` to label rows with.

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;

use super::sampler_choice::sampler_kind;
use super::{bar, class_rows, describe_sampler, follow, sample_labels};
use crate::data::{self, DataSpec};
use crate::diffusion::sampler::{SamplerConfig, SamplerKind, Variance};
use crate::gpu::Gpu;
use crate::kernels::prediction::Prediction;
use crate::pictures;
use crate::train::Trainer;

/// Names of the dataset's classes: the built-in shapes by name, other data "class i".
pub fn data_class_names(spec: &DataSpec, ds: &data::Dataset) -> Vec<String> {
    (0..ds.num_classes)
        .map(|i| match spec {
            DataSpec::Builtin => data::builtin::CLASSES
                .get(i)
                .map_or(format!("class {i}"), |s| s.to_string()),
            _ => format!("class {i}"),
        })
        .collect()
}

/// The loss chart (and the quality panel when `quality` has points) of run folder `out`.
pub fn save_chart(out: &Path, loss: &[(u64, f32)], quality: &[(u64, f64)]) -> Result<()> {
    pictures::chart::save_training_chart(
        &out.join("loss.png"),
        &format!("training loss, run {}", out.display()),
        loss,
        "quality: Frechet distance (lower is better)",
        quality,
    )
}

/// The sampler of the sample grids. With `sampler` (`--sample-sampler`) that sampler with
/// `sample_steps` (DDIM with eta 1). Without it full DDPM chains, except that a CPU adapter
/// uses a 100-step DDIM (eta 1) unless `sample_steps` says otherwise (1000 U-Net passes would
/// dominate a CPU run). `train` calls it before training too, so that a step count the
/// schedule cannot take is refused then rather than after the last step.
pub fn grid_sampler(
    gpu: &Gpu,
    t_max: usize,
    variance: Variance,
    (sampler, sample_steps): (Option<&str>, Option<usize>),
    seed: u64,
    prediction: Prediction,
) -> Result<SamplerConfig> {
    let ddim = sample_steps.or((gpu.is_cpu() && t_max > 100).then_some(100));
    let kind = match (sampler, ddim) {
        (Some(name), _) => sampler_kind(name, sample_steps, variance, 1.0)?,
        (None, Some(steps)) if steps < t_max => SamplerKind::Ddim { steps, eta: 1.0 },
        _ => SamplerKind::Ddpm { variance },
    };
    let cfg = SamplerConfig {
        kind,
        clip_x0: false,
        seed,
        prediction,
    };
    cfg.validate(t_max)?;
    Ok(cfg)
}

/// A sample grid of the network being trained, drawn by `grid_sampler`. Class-conditional:
/// one labelled row per class, guided w = 3.
pub fn write_samples(
    gpu: &Arc<Gpu>,
    tr: &Trainer,
    path: &Path,
    count: usize,
    variance: Variance,
    choice: (Option<&str>, Option<usize>),
    names: &[String],
    show: bool,
) -> Result<()> {
    let t_max = tr.schedule.t_max;
    let cfg = grid_sampler(gpu, t_max, variance, choice, tr.cfg.seed, tr.net.prediction)?;
    let pb = bar(t_max as u64, "sample");
    if !show {
        pb.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let (cond, count, cols) = class_rows(tr.net.cfg.num_classes, None, count, 3.0);
    let s = crate::sample::sample(
        gpu,
        &tr.net,
        &tr.schedule,
        &cfg,
        count,
        count,
        0,
        cond.as_ref(),
        follow(&pb),
    )?;
    pb.finish_and_clear();
    let n = &tr.cfg.net;
    let title = format!("step {} ({})", tr.step, describe_sampler(&cfg.kind, t_max));
    let labels = sample_labels(title, cond.as_ref(), cols, names);
    let (c, side) = (n.image_channels, n.image_size);
    pictures::save_png(
        path,
        &pictures::grid(&s.images, c, side, side, cols, &labels)?,
    )
}

/// `train --quality-every N`: the quality number of the network being trained, every N
/// steps and at the end, into metrics.csv and the chart.
pub struct QualityLog {
    judge: crate::quality::Judge,
    count: usize,
    pub every: u64,
    pub points: Vec<(u64, f64)>,
}

impl QualityLog {
    /// Trains (or loads from the run folder's cache) the classifier on `ds`; `points` are the
    /// quality rows already in metrics.csv (a resumed run).
    pub fn new(
        gpu: &Arc<Gpu>,
        ds: &data::Dataset,
        out: &Path,
        every: u64,
        count: usize,
        points: Vec<(u64, f64)>,
    ) -> Result<QualityLog> {
        let cache = out.join("quality_classifier.safetensors");
        let (judge, _, _) = super::quality::references(gpu, ds, &cache, count, 400)?;
        Ok(QualityLog {
            judge,
            count,
            every,
            points,
        })
    }

    /// Score `count` images of the current network (50-step DDIM) and log the row.
    pub fn log(
        &mut self,
        gpu: &Arc<Gpu>,
        tr: &Trainer,
        metrics: &mut crate::train::Metrics,
        elapsed: f64,
    ) -> Result<crate::quality::Score> {
        let kind = SamplerKind::Ddim {
            steps: 50.min(tr.schedule.t_max),
            eta: 1.0,
        };
        let images = super::quality::generate(
            gpu,
            &tr.net,
            &tr.schedule,
            self.count,
            kind,
            3.0,
            tr.cfg.seed,
        )?;
        let s = self.judge.score(gpu, &images);
        metrics.quality_row(tr.step, elapsed, s.frechet, s.covered, s.confidence)?;
        self.points.push((tr.step, s.frechet));
        Ok(s)
    }
}
