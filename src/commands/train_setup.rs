//! What `train` makes of its arguments before the first step: the checkpoint it resumes
//! from, the data, and the network and training configuration (with the CPU adapter's
//! smaller defaults), each refused with a message that names the flag.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use super::parse_schedule;
use super::train_args::TrainArgs;
use super::train_objective::Fallback;
use super::train_output::data_class_names;
use crate::checkpoint::Checkpoint;
use crate::data::{self, DataSpec, LoadOptions};
use crate::gpu::Gpu;
use crate::kernels::adam::AdamConfig;
use crate::model::nets;
use crate::model::network::{NetConfig, NetKind};
use crate::train::{self, TrainConfig};

/// A checkpoint to continue from, and where it was read.
pub(super) struct Resumed {
    pub path: PathBuf,
    pub ck: Checkpoint,
}

pub(super) struct Setup {
    pub cfg: TrainConfig,
    pub ds: data::Dataset,
    /// The data's class names, stored in every checkpoint.
    pub names: Vec<String>,
    pub resumed: Option<Resumed>,
    /// What a resumed run changed from its checkpoint's configuration (for config.json).
    pub changed: serde_json::Map<String, serde_json::Value>,
}

/// Read the arguments (already `resolved` against their preset) for a run in `out`.
pub(super) fn setup(a: &TrainArgs, gpu: &Gpu, out: &Path) -> Result<Setup> {
    if !(0.0..=1.0).contains(&a.label_dropout) {
        bail!("--label-dropout must be in [0, 1], got {}", a.label_dropout);
    }
    if !(a.lr.is_finite() && a.lr > 0.0) {
        bail!(
            "--lr must be a positive finite number (e.g. 1e-3), got {}",
            a.lr
        );
    }
    let cpu = gpu.is_cpu();
    let resumed = match &a.resume {
        None => None,
        Some(r) => {
            let path = if r.is_empty() {
                out.join("checkpoint.safetensors")
            } else {
                PathBuf::from(r)
            };
            if r.is_empty() && !path.exists() {
                eprintln!(
                    "note: --resume: {} does not exist yet; starting a new run in {}",
                    path.display(),
                    out.display()
                );
                None
            } else {
                let ck = Checkpoint::load(&path)?;
                Some(Resumed { path, ck })
            }
        }
    };

    let spec = DataSpec::parse(&a.data)?;
    let load = LoadOptions {
        size: a.image_size,
        channels: a.image_channels.unwrap_or(1),
        seed: a.seed,
        labels: a.labels.clone(),
        ..Default::default()
    };
    let kind = NetKind::from_name(a.net.as_deref().unwrap_or("seed000"))?;
    let (seed_channels, seed_temb) = nets::defaults(kind);
    let default_channels = if cpu {
        nets::cpu_channels(kind)
    } else {
        seed_channels
    };
    let ch = a.channels.clone().unwrap_or(default_channels);
    let temb_dim = a.temb_dim.unwrap_or(seed_temb);
    let shape_net = |image_channels, image_size| NetConfig {
        net: kind,
        image_channels,
        image_size,
        channels: ch.clone(),
        temb_dim,
        num_classes: 0,
        t_max: a.t_max.unwrap_or(1000),
    };
    let batch = a.batch.unwrap_or(if cpu { 16 } else { 128 });
    if batch == 0 {
        bail!("batch size must be at least 1 (--batch)");
    }
    if let (DataSpec::Builtin, Some(s)) = (&spec, a.image_size) {
        // The built-in images are made on the host: refuse what cannot fit before making them.
        train::memory::check_builtin(gpu, &shape_net(1, s), batch)?;
    }
    let ds = data::load(&spec, &load)?;
    let names = data_class_names(&spec, &ds);
    let steps = match (a.steps, a.epochs) {
        (Some(s), _) => s,
        (None, Some(e)) => {
            let per_step = batch * a.optim.grad_accum.max(1);
            ((e * ds.len() as f64) / per_step as f64).ceil() as u64
        }
        (None, None) => {
            if cpu {
                1600
            } else {
                3000
            }
        }
    };
    if steps == 0 {
        bail!("--steps 0 (or --epochs rounding to 0 steps) leaves nothing to train: pass --steps N with N >= 1");
    }
    let net = NetConfig {
        num_classes: if a.cond { conditional_classes(&ds)? } else { 0 },
        ..shape_net(ds.c, ds.h)
    };
    net.validate()?;
    let default_run =
        cpu && a.channels.is_none() && a.batch.is_none() && a.steps.is_none() && a.epochs.is_none();
    let fallback = match &resumed {
        Some(r) => Fallback::of_checkpoint(&r.ck, &r.path.display().to_string())?,
        None if default_run => Fallback::cpu_default_run(),
        None => Fallback::plain(),
    };
    let o = a.optim.settings(a.ema, steps, &fallback)?;
    let (prediction, min_snr_gamma) = a.objective.settings(&fallback)?;
    // Say what the default run chose for the objective when no flag touched it.
    let (ob, op) = (&a.objective, &a.optim);
    let untouched = ob.prediction.is_none()
        && ob.min_snr_gamma.is_none()
        && op.lr_schedule.is_none()
        && op.warmup_steps.is_none();
    let objective_note = if resumed.is_none() && default_run && untouched {
        ", v-prediction with min-SNR 5, cosine learning rate after 100 warmup steps"
    } else {
        ""
    };
    if cpu && (a.channels.is_none() || a.batch.is_none() || a.steps.is_none()) {
        eprintln!(
            "note: CPU adapter: using the small preset ({} channels {}, batch {batch}, {steps} steps, 100-step DDIM sample grid{}); pass --channels/--batch/--steps/--sample-steps to override",
            kind.name(),
            ch.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(","),
            objective_note,
        );
    }
    let cfg = TrainConfig {
        net,
        schedule: parse_schedule(&a.schedule)?,
        t_max: a.t_max.unwrap_or(1000),
        batch,
        adam: AdamConfig {
            lr: a.lr,
            weight_decay: a.weight_decay.unwrap_or(0.0),
            ..Default::default()
        },
        steps,
        seed: a.seed,
        log_every: a.log_every.max(1),
        ema_decay: o.ema_decay,
        label_dropout: a.label_dropout,
        grad_clip: a.grad_clip,
        fixed_noise: false,
        lr_schedule: o.lr_schedule,
        grad_accum: o.grad_accum,
        ema_warmup: o.ema_warmup,
        random_flip: o.random_flip,
        prediction,
        min_snr_gamma,
    };
    let changed = match &resumed {
        Some(r) => train::resume::compare(&r.ck, &cfg, &r.path.display().to_string())?,
        None => Default::default(),
    };
    Ok(Setup {
        cfg,
        ds,
        names,
        resumed,
        changed,
    })
}

/// Classes for class-conditional training; the data must carry labels.
fn conditional_classes(ds: &data::Dataset) -> Result<usize> {
    if ds.labels.is_none() || ds.num_classes == 0 {
        bail!(
            "--cond needs labels, but {} has none: use an IDX file with its label file (--labels), a folder with one subfolder per class, or the builtin data",
            ds.description
        );
    }
    Ok(ds.num_classes)
}
