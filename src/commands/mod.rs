//! The subcommands: `train`, `sample`, `eval` and `info`, one module each, plus the argument
//! structs and helpers they share. Nothing here depends on `crate::cli`, which only parses
//! the command line and dispatches to these functions.

use std::path::Path;

use anyhow::{bail, Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::checkpoint::Checkpoint;
use crate::data::Dataset;
use crate::diffusion::sampler::{SamplerKind, Variance};
use crate::diffusion::schedule::{Schedule, ScheduleKind};
use crate::gpu::context::{AdapterChoice, ADAPTER_ENV, BACKEND_ENV};
use crate::gpu::Gpu;
use crate::model::checkpoint_io::{check_tensors, config_of};
use crate::model::network::{Model, NetConfig};
use crate::pictures;
use crate::sample::Conditioning;

pub mod edit;
pub mod eval;
pub mod finetune;
pub mod info;
pub mod presets;
pub mod quality;
pub mod sample;
pub mod sample_files;
pub mod sampler_choice;
pub mod train;
mod train_args;
pub mod train_objective;
pub mod train_optim;
pub mod train_output;
mod train_setup;

pub use eval::{eval, EvalArgs};
pub use finetune::{finetune, FinetuneArgs};
pub use info::{info, InfoArgs};
pub use presets::{preset, Preset};
pub use quality::{quality, QualityArgs};
pub use sample::{sample, SampleArgs, SamplerArgs};
pub use train::train;
pub use train_args::TrainArgs;

/// Adapter selection, shared by every subcommand.
#[derive(Args, Clone, Debug, Default)]
pub struct AdapterArgs {
    /// Pick the adapter whose name contains this text (case-insensitive).
    #[arg(long, env = ADAPTER_ENV, global = true)]
    pub adapter: Option<String>,
    /// Restrict to one backend: vulkan, metal, dx12, or gl (a build with `--features gles`).
    #[arg(long, env = BACKEND_ENV, global = true)]
    pub backend: Option<String>,
    /// Run even if the kernel self-check fails on this adapter (also: env
    /// WGPU_DDPM_SKIP_SELF_CHECK=1). Results may then be silently wrong.
    #[arg(long, global = true)]
    pub skip_self_check: bool,
}

impl AdapterArgs {
    pub fn choice(&self) -> AdapterChoice {
        AdapterChoice::default().with_overrides(self.adapter.clone(), self.backend.clone())
    }

    /// The chosen adapter's device, once the kernel self-check has passed on it (or was
    /// skipped): what every command that trains, samples or evaluates opens.
    pub fn open(&self) -> Result<std::sync::Arc<Gpu>> {
        let gpu = Gpu::with_choice(&self.choice())?;
        crate::selfcheck::ensure(&gpu, self.skip_self_check)?;
        Ok(gpu)
    }
}

pub fn parse_variance(v: &str) -> Result<Variance> {
    match v {
        "small" => Ok(Variance::Small),
        "large" => Ok(Variance::Large),
        _ => bail!("--variance {v}: use small (beta tilde) or large (beta)"),
    }
}

pub fn parse_schedule(s: &str) -> Result<ScheduleKind> {
    match s {
        "linear" => Ok(ScheduleKind::Linear),
        "cosine" => Ok(ScheduleKind::Cosine),
        _ => bail!("--schedule {s}: use linear or cosine"),
    }
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(&format!(
            "{what} {{bar:30}} {{pos}}/{{len}} {{msg}} [{{elapsed_precise}} < {{eta}}]"
        ))
        .unwrap(),
    );
    pb
}

/// A sampler's progress callback (steps done, steps in all) that moves `pb`.
fn follow(pb: &ProgressBar) -> impl FnMut(usize, usize) + '_ {
    |k, total| {
        pb.set_length(total as u64);
        pb.set_position(k as u64);
    }
}

/// Schedule stored in a checkpoint's metadata, else the flags'.
pub fn schedule_of(ck: &Checkpoint, kind: &str, t_max: usize) -> Result<Schedule> {
    let kind = ck.metadata.get("schedule").map_or(kind, |s| s.as_str());
    let t_max = ck
        .metadata
        .get("t_max")
        .and_then(|s| s.parse().ok())
        .unwrap_or(t_max);
    Schedule::new(parse_schedule(kind)?, t_max)
}

/// Labels for a sample grid: every image of class `class`, or one row per class
/// (`count / classes` columns, at least one). Returns (conditioning, image count, columns).
fn class_rows(
    classes: usize,
    class: Option<u32>,
    count: usize,
    w: f32,
) -> (Option<Conditioning>, usize, usize) {
    let square = |n: usize| (n as f64).sqrt().ceil() as usize;
    if classes == 0 {
        return (None, count, square(count));
    }
    match class {
        Some(c) => (
            Some(Conditioning {
                labels: vec![c; count],
                guidance: w,
            }),
            count,
            square(count),
        ),
        None => {
            let per = (count / classes).max(1);
            let labels = (0..classes as u32)
                .flat_map(|c| std::iter::repeat_n(c, per))
                .collect();
            (
                Some(Conditioning {
                    labels,
                    guidance: w,
                }),
                per * classes,
                per,
            )
        }
    }
}

/// What a checkpoint without our metadata (a PyTorch state_dict) does not say about the
/// network and schedule it was trained with; ours carry their own.
#[derive(Args, Clone, Debug)]
pub struct StateDictArgs {
    /// Image size for checkpoints without our metadata (PyTorch state_dicts).
    #[arg(long, default_value_t = 28)]
    pub image_size: usize,
    /// T and schedule for checkpoints without our metadata.
    #[arg(long = "timesteps", short = 'T', default_value_t = 1000)]
    pub t_max: usize,
    #[arg(long, default_value = "linear")]
    pub schedule: String,
}

impl StateDictArgs {
    /// The checkpoint at `path`, its network (the EMA weights if `use_ema`) and schedule.
    fn load(&self, gpu: &Gpu, path: &Path, use_ema: bool) -> Result<(Checkpoint, Model, Schedule)> {
        let (ck, net) = load_net(gpu, path, self.image_size, use_ema)?;
        let schedule = schedule_of(&ck, &self.schedule, self.t_max)?;
        Ok((ck, net, schedule))
    }
}

/// `data` has the image shape the checkpoint's network `cfg` was built for.
fn expect_data_shape(cfg: &NetConfig, ds: &Dataset) -> Result<()> {
    if (cfg.image_channels, cfg.image_size) != (ds.c, ds.h) {
        bail!(
            "the checkpoint is for {}x{}x{} images but the data is {}x{}x{}",
            cfg.image_channels,
            cfg.image_size,
            cfg.image_size,
            ds.c,
            ds.h,
            ds.w
        );
    }
    Ok(())
}

fn load_net(
    gpu: &Gpu,
    path: &Path,
    image_size: usize,
    use_ema: bool,
) -> Result<(Checkpoint, Model)> {
    let p = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| format!("could not read checkpoint '{p}'"))?;
    let (ck, cfg) = checked_network(&bytes, &p, image_size)?;
    let mut net = Model::new(gpu, &cfg, 0)?;
    net.prediction = crate::model::checkpoint_io::prediction_of(&ck, &p)?;
    net.load_checkpoint(gpu, &ck, false)
        .with_context(|| format!("loading {}", path.display()))?;
    if use_ema {
        net.load_ema_as_model(gpu, &ck)?;
    }
    Ok((ck, net))
}

/// Largest width, embedding size, class or channel count a checkpoint's network may have:
/// with these caps no tensor size of a declared network overflows, and none is near real use.
pub const MAX_WIDTH: usize = 1 << 16;
/// Largest image side a checkpoint's network may be built for.
pub const MAX_IMAGE_SIZE: usize = 1 << 14;

/// Everything `sample`, `eval` and `quality` check of a checkpoint's bytes (read from `path`)
/// before a GPU buffer exists: a readable safetensors file with finite weights, a network
/// (from the metadata, else from the tensor shapes at `image_size`) of plausible size, and
/// every one of its tensors present with its exact shape.
pub fn checked_network(
    bytes: &[u8],
    path: &str,
    image_size: usize,
) -> Result<(Checkpoint, NetConfig)> {
    let ck = Checkpoint::from_bytes(bytes, path)?;
    ck.check_finite(path)?;
    let cfg = checked_config(&ck, path, image_size)?;
    Ok((ck, cfg))
}

/// The network of a parsed checkpoint `ck`, checked as [`checked_network`] says.
pub fn checked_config(ck: &Checkpoint, path: &str, image_size: usize) -> Result<NetConfig> {
    let cfg = config_of(ck, image_size).with_context(|| format!("loading {path}"))?;
    cfg.validate()?;
    let widths = cfg
        .channels
        .iter()
        .chain([&cfg.temb_dim, &cfg.image_channels, &cfg.num_classes]);
    if widths.max().is_some_and(|w| *w > MAX_WIDTH) || cfg.image_size > MAX_IMAGE_SIZE {
        bail!(
            "checkpoint '{path}' describes a network far larger than any this program builds ({}; at most {MAX_WIDTH} channels and {MAX_IMAGE_SIZE}x{MAX_IMAGE_SIZE} images); its metadata is probably corrupt",
            cfg.to_json()
        );
    }
    check_tensors(ck, &cfg).with_context(|| format!("loading {path}"))?;
    Ok(cfg)
}

/// Checkpoint metadata key holding the class names as a JSON array of strings.
pub const CLASS_NAMES_KEY: &str = "class_names";

/// Names of `classes` classes: from the checkpoint's metadata when it has them, else
/// "class 0", "class 1", ...
pub fn class_names(ck: &Checkpoint, classes: usize) -> Vec<String> {
    let stored: Vec<String> = ck
        .metadata
        .get(CLASS_NAMES_KEY)
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    (0..classes)
        .map(|i| stored.get(i).cloned().unwrap_or(format!("class {i}")))
        .collect()
}

/// Grid labels for sampled images: a title, and with one row per class the class names.
fn sample_labels(
    title: String,
    cond: Option<&Conditioning>,
    cols: usize,
    names: &[String],
) -> pictures::GridLabels {
    let rows = match cond {
        Some(c) => c
            .labels
            .iter()
            .step_by(cols.max(1))
            .map(|&l| names.get(l as usize).cloned().unwrap_or_default())
            .collect(),
        None => Vec::new(),
    };
    pictures::GridLabels {
        title: Some(title),
        rows,
        cols: Vec::new(),
    }
}

/// Words for a sampler configuration ("DDPM, 1000 steps", "DDIM, 100 steps, eta 1").
fn describe_sampler(kind: &SamplerKind, t_max: usize) -> String {
    match kind {
        SamplerKind::Ddpm { .. } => format!("DDPM, {t_max} steps"),
        SamplerKind::Ddim { steps, eta } => format!("DDIM, {steps} steps, eta {eta}"),
        SamplerKind::DpmSolver2M { steps } => format!("DPM-Solver++ 2M, {steps} steps"),
    }
}
