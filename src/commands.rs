//! The `train`, `sample` and `eval` subcommands.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::checkpoint::Checkpoint;
use crate::cli::AdapterArgs;
use crate::data::{self, DataSpec, LoadOptions};
use crate::diffusion::sampler::{SamplerConfig, SamplerKind, Variance};
use crate::diffusion::schedule::{Schedule, ScheduleKind};
use crate::gpu::{Gpu, Program};
use crate::kernels::{adam::AdamConfig, add_noise};
use crate::model::checkpoint_io::config_of;
use crate::model::graph::Graph;
use crate::model::unet::{UNet, UNetConfig};
use crate::pictures;
use crate::sample::Conditioning;
use crate::train::{self, Metrics, TrainConfig, Trainer};

#[derive(Args, Debug, Clone)]
pub struct TrainArgs {
    /// Dataset: `builtin` (procedural shapes), an IDX file (MNIST / Fashion-MNIST, gzip or raw),
    /// a folder of PNG/JPEG images (one subfolder per class gives labels), or one image.
    #[arg(long, default_value = "builtin")]
    pub data: String,
    /// IDX label file (found automatically beside `*-images-idx3-*` files).
    #[arg(long)]
    pub labels: Option<String>,
    /// Image size (square, a multiple of 4); default: the data's own (28 for builtin/MNIST).
    #[arg(long)]
    pub image_size: Option<usize>,
    /// Image channels for image files: 1 (gray) or 3 (RGB).
    #[arg(long)]
    pub image_channels: Option<usize>,
    /// U-Net channels c1,c2,c3 (default 64,128,256 on a GPU; 16,32,64 on a CPU adapter).
    #[arg(long, value_delimiter = ',')]
    pub channels: Option<Vec<usize>>,
    /// Time-embedding size D.
    #[arg(long, default_value_t = 100)]
    pub temb_dim: usize,
    /// Number of diffusion steps T (default 1000).
    #[arg(long = "timesteps", short = 'T')]
    pub t_max: Option<usize>,
    /// Noise schedule: linear or cosine.
    #[arg(long, default_value = "linear")]
    pub schedule: String,
    /// A classic workload's defaults (every flag still overrides): mnist (28x28, T=1000),
    /// mnist-t300, fashion16 (16x16, T=150), single48 (one 48x48 RGB image, sigma^2 = beta),
    /// folder64 (64x64 RGB image folder, AdamW).
    #[arg(long)]
    pub preset: Option<String>,
    /// Train class-conditionally on the data's labels (learned label embedding + null label).
    #[arg(long)]
    pub cond: bool,
    /// With --cond: probability of dropping a label to the null label (classifier-free guidance).
    #[arg(long, default_value_t = 0.1)]
    pub label_dropout: f32,
    /// Variance of the DDPM sample grids: small (beta tilde) or large (beta).
    #[arg(long)]
    pub variance: Option<String>,
    /// Batch size (default 128 on a GPU; 16 on a CPU adapter).
    #[arg(long)]
    pub batch: Option<usize>,
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f32,
    /// Decoupled weight decay (AdamW); 0 is plain Adam.
    #[arg(long)]
    pub weight_decay: Option<f32>,
    /// Training steps (default 3000 on a GPU; 400 on a CPU adapter). Overrides --epochs.
    #[arg(long)]
    pub steps: Option<u64>,
    /// Training length in passes over the dataset.
    #[arg(long)]
    pub epochs: Option<f64>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Read the loss back every N steps (the only readback in the loop).
    #[arg(long, default_value_t = 20)]
    pub log_every: u64,
    /// Write a sample grid every N steps (0: only at the end).
    #[arg(long, default_value_t = 0)]
    pub sample_every: u64,
    /// Write a checkpoint every N steps (and always at the end).
    #[arg(long, default_value_t = 500)]
    pub checkpoint_every: u64,
    /// DDIM steps (eta 1) for the sample grids; default: the full DDPM chain on a GPU, 100 on a
    /// CPU adapter.
    #[arg(long)]
    pub sample_steps: Option<usize>,
    /// Images in each sample grid.
    #[arg(long, default_value_t = 16)]
    pub samples: usize,
    /// Clip gradients to this global L2 norm (e.g. 1.0); off by default.
    #[arg(long)]
    pub grad_clip: Option<f32>,
    /// Keep an EMA of the weights with this decay (e.g. 0.999); off by default.
    #[arg(long)]
    pub ema: Option<f32>,
    /// Run directory (config, metrics.csv, PNGs, checkpoint.safetensors).
    #[arg(long, default_value = "runs/latest")]
    pub out: PathBuf,
    /// Continue from the run directory's checkpoint (or this checkpoint file).
    #[arg(long, num_args = 0..=1, default_missing_value = "")]
    pub resume: Option<String>,
    #[command(flatten)]
    pub adapter: AdapterArgs,
}

#[derive(Args, Debug, Clone)]
pub struct SamplerArgs {
    /// ddpm or ddim.
    #[arg(long, default_value = "ddpm")]
    pub sampler: String,
    /// DDPM variance: small (beta tilde) or large (beta).
    #[arg(long, default_value = "small")]
    pub variance: String,
    /// DDIM steps.
    #[arg(long, default_value_t = 50)]
    pub ddim_steps: usize,
    /// DDIM eta in [0, 1].
    #[arg(long, default_value_t = 0.0)]
    pub eta: f32,
    /// Clip the predicted x0 to [-1, 1] at each step.
    #[arg(long)]
    pub clip: bool,
}

impl SamplerArgs {
    pub fn config(&self, seed: u64) -> Result<SamplerConfig> {
        let kind = match self.sampler.as_str() {
            "ddpm" => SamplerKind::Ddpm {
                variance: parse_variance(&self.variance)?,
            },
            "ddim" => SamplerKind::Ddim {
                steps: self.ddim_steps,
                eta: self.eta,
            },
            s => bail!("--sampler {s}: use ddpm or ddim"),
        };
        Ok(SamplerConfig {
            kind,
            clip_x0: self.clip,
            seed,
        })
    }
}

#[derive(Args, Debug, Clone)]
pub struct SampleArgs {
    /// Checkpoint (.safetensors): ours, or a PyTorch seed U-Net state_dict.
    #[arg(long)]
    pub checkpoint: PathBuf,
    #[arg(long, default_value_t = 64)]
    pub count: usize,
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Image size for checkpoints without our metadata (PyTorch state_dicts).
    #[arg(long, default_value_t = 28)]
    pub image_size: usize,
    /// T and schedule for checkpoints without our metadata.
    #[arg(long = "timesteps", short = 'T', default_value_t = 1000)]
    pub t_max: usize,
    #[arg(long, default_value = "linear")]
    pub schedule: String,
    #[command(flatten)]
    pub sampler: SamplerArgs,
    /// Sample with the EMA weights stored in the checkpoint.
    #[arg(long)]
    pub ema: bool,
    /// Class to draw (class-conditional checkpoints); default: every class, one row each.
    #[arg(long)]
    pub class: Option<u32>,
    /// Classifier-free guidance scale w: eps = eps_u + w (eps_c - eps_u); 1 is plain
    /// conditional sampling, 0 unconditional.
    #[arg(long)]
    pub guidance: Option<f32>,
    /// Output grid PNG.
    #[arg(long, default_value = "samples.png")]
    pub out: PathBuf,
    /// Also write a denoising-progression strip (x_T .. x_0) with this many columns.
    #[arg(long, default_value_t = 10)]
    pub strip: usize,
    #[command(flatten)]
    pub adapter: AdapterArgs,
}

#[derive(Args, Debug, Clone)]
pub struct EvalArgs {
    #[arg(long)]
    pub checkpoint: PathBuf,
    #[arg(long, default_value = "builtin")]
    pub data: String,
    #[arg(long)]
    pub image_size: Option<usize>,
    /// Number of images to evaluate (the first N of the dataset).
    #[arg(long, default_value_t = 1024)]
    pub count: usize,
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long = "timesteps", short = 'T', default_value_t = 1000)]
    pub t_max: usize,
    #[arg(long, default_value = "linear")]
    pub schedule: String,
    #[command(flatten)]
    pub adapter: AdapterArgs,
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

/// Schedule stored in a checkpoint's metadata, else the flags'.
fn schedule_of(ck: &Checkpoint, kind: &str, t_max: usize) -> Result<Schedule> {
    let kind = ck.metadata.get("schedule").map_or(kind, |s| s.as_str());
    let t_max = ck
        .metadata
        .get("t_max")
        .and_then(|s| s.parse().ok())
        .unwrap_or(t_max);
    Schedule::new(parse_schedule(kind)?, t_max)
}

pub fn train(a: &TrainArgs) -> Result<()> {
    let a = &a.resolved()?;
    let variance = parse_variance(a.variance.as_deref().unwrap_or("small"))?;
    if !(0.0..=1.0).contains(&a.label_dropout) {
        bail!("--label-dropout must be in [0, 1], got {}", a.label_dropout);
    }
    let gpu = Gpu::with_choice(&a.adapter.choice())?;
    let cpu = gpu.is_cpu();
    let out = a.out.clone();
    std::fs::create_dir_all(&out)
        .with_context(|| format!("could not create run folder {}", out.display()))?;
    let resume_path = a.resume.as_ref().map(|r| {
        if r.is_empty() {
            out.join("checkpoint.safetensors")
        } else {
            PathBuf::from(r)
        }
    });
    let resumed = resume_path
        .as_ref()
        .map(|p| Checkpoint::load(p))
        .transpose()?;

    let spec = DataSpec::parse(&a.data)?;
    let load = LoadOptions {
        size: a.image_size,
        channels: a.image_channels.unwrap_or(1),
        seed: a.seed,
        labels: a.labels.clone(),
        ..Default::default()
    };
    let ds = data::load(&spec, &load)?;
    let default_channels = if cpu {
        vec![16, 32, 64]
    } else {
        vec![64, 128, 256]
    };
    let ch = a.channels.clone().unwrap_or(default_channels);
    if ch.len() != 3 {
        bail!("--channels takes three numbers c1,c2,c3 (e.g. 64,128,256), got {ch:?}");
    }
    let batch = a.batch.unwrap_or(if cpu { 16 } else { 128 });
    let steps = match (a.steps, a.epochs) {
        (Some(s), _) => s,
        (None, Some(e)) => ((e * ds.len() as f64) / batch as f64).ceil() as u64,
        (None, None) => {
            if cpu {
                400
            } else {
                3000
            }
        }
    };
    if cpu && (a.channels.is_none() || a.batch.is_none() || a.steps.is_none()) {
        eprintln!(
            "note: CPU adapter: using the small preset (channels {}, batch {batch}, {steps} steps, 100-step DDIM sample grid); pass --channels/--batch/--steps/--sample-steps to override",
            ch.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(",")
        );
    }
    let net = UNetConfig {
        image_channels: ds.c,
        image_size: ds.h,
        channels: [ch[0], ch[1], ch[2]],
        temb_dim: a.temb_dim,
        num_classes: if a.cond { conditional_classes(&ds)? } else { 0 },
    };
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
        ema_decay: a.ema,
        label_dropout: a.label_dropout,
        grad_clip: a.grad_clip,
        fixed_noise: false,
    };
    let mut tr = Trainer::new(gpu.clone(), cfg.clone())?;
    if let Some(ck) = &resumed {
        tr.resume_from(ck).with_context(|| {
            format!("resuming from {}", resume_path.as_ref().unwrap().display())
        })?;
        eprintln!(
            "resumed at step {} from {}",
            tr.step,
            resume_path.as_ref().unwrap().display()
        );
    }
    std::fs::write(
        out.join("config.json"),
        serde_json::to_string_pretty(&cfg.to_json())?,
    )?;
    println!(
        "training on {} | adapter {} | U-Net {:?}, {} parameters, {} dispatches per step | run folder {}",
        ds.description,
        gpu.describe(),
        cfg.net.channels,
        tr.net.param_count(),
        tr.dispatches_per_step(),
        out.display()
    );
    let mut metrics = Metrics::open(&out, tr.step)?;
    let mut curve = read_curve(&out.join("metrics.csv"));
    let interrupts = train::interrupt_counter();
    let ckpt_path = out.join("checkpoint.safetensors");
    let pb = bar(steps, "train");
    pb.set_position(tr.step);
    let start = Instant::now();
    let (mut last_t, mut last_step) = (Instant::now(), tr.step);
    while tr.step < steps {
        tr.step(&ds);
        pb.set_position(tr.step);
        let stop = interrupts.load(Ordering::SeqCst) > 0;
        let flush = stop || tr.step == steps || tr.step % cfg.log_every == 0;
        let losses = tr.take_losses(flush);
        if !losses.is_empty() {
            let dt = last_t.elapsed().as_secs_f64();
            let ips = (tr.step - last_step) as f64 * batch as f64 / dt.max(1e-9);
            (last_t, last_step) = (Instant::now(), tr.step);
            if let Err(e) = train::check_finite(&losses, a.lr, &ckpt_path) {
                pb.abandon();
                return Err(e);
            }
            for &(s, l) in &losses {
                metrics.row(s, l, ips, start.elapsed().as_secs_f64())?;
                curve.push((s, l));
            }
            let recent = &curve[curve.len().saturating_sub(cfg.log_every as usize)..];
            let mean = recent.iter().map(|p| p.1 as f64).sum::<f64>() / recent.len().max(1) as f64;
            pb.set_message(format!("loss {mean:.4} | {ips:.1} img/s"));
        }
        let last = tr.step == steps || stop;
        if last || (a.checkpoint_every > 0 && tr.step % a.checkpoint_every == 0) {
            tr.checkpoint().save(&ckpt_path)?;
            pictures::save_loss_curve(&out.join("loss.png"), &curve)?;
        }
        if !last && a.sample_every > 0 && tr.step % a.sample_every == 0 {
            write_samples(
                &gpu,
                &tr,
                &out.join(format!("samples_{:06}.png", tr.step)),
                a.samples,
                variance,
                a.sample_steps,
                false,
            )?;
        }
        if stop {
            pb.abandon_with_message(format!(
                "interrupted at step {}; checkpoint written",
                tr.step
            ));
            println!(
                "interrupted: checkpoint {} (resume with --resume)",
                ckpt_path.display()
            );
            return Ok(());
        }
    }
    pb.finish();
    let grid = out.join("samples.png");
    write_samples(&gpu, &tr, &grid, a.samples, variance, a.sample_steps, true)?;
    println!(
        "done: {} steps in {:.1}s | checkpoint {} | samples {} | loss curve {} | metrics {}",
        tr.step,
        start.elapsed().as_secs_f64(),
        ckpt_path.display(),
        grid.display(),
        out.join("loss.png").display(),
        out.join("metrics.csv").display()
    );
    Ok(())
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

fn read_curve(path: &Path) -> Vec<(u64, f32)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut it = l.split(',');
            Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
        })
        .collect()
}

fn write_samples(
    gpu: &Arc<Gpu>,
    tr: &Trainer,
    path: &Path,
    count: usize,
    variance: Variance,
    sample_steps: Option<usize>,
    show: bool,
) -> Result<()> {
    // Full DDPM chains, except that a CPU adapter uses a 100-step DDIM (eta 1) unless
    // --sample-steps says otherwise: 1000 U-Net passes would dominate a CPU run.
    let t_max = tr.schedule.t_max;
    let ddim = sample_steps.or((gpu.is_cpu() && t_max > 100).then_some(100));
    let kind = match ddim {
        Some(steps) if steps < t_max => SamplerKind::Ddim { steps, eta: 1.0 },
        _ => SamplerKind::Ddpm { variance },
    };
    let cfg = SamplerConfig {
        kind,
        clip_x0: false,
        seed: tr.cfg.seed,
    };
    cfg.validate(t_max)?;
    let pb = bar(t_max as u64, "sample");
    if !show {
        pb.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    // Class-conditional: one row per class, guided with w = 3.
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
        |k, total| {
            pb.set_length(total as u64);
            pb.set_position(k as u64);
        },
    )?;
    pb.finish_and_clear();
    let n = &tr.cfg.net;
    pictures::save_grid(
        path,
        &s.images,
        n.image_channels,
        n.image_size,
        n.image_size,
        cols,
    )
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

fn load_net(
    gpu: &Gpu,
    path: &Path,
    image_size: usize,
    use_ema: bool,
) -> Result<(Checkpoint, UNet)> {
    let ck = Checkpoint::load(path)?;
    let cfg = config_of(&ck, image_size)?;
    let net = UNet::new(gpu, &cfg, 0)?;
    net.load_checkpoint(gpu, &ck, false)
        .with_context(|| format!("loading {}", path.display()))?;
    if use_ema {
        net.load_ema_as_model(gpu, &ck)?;
    }
    Ok((ck, net))
}

pub fn sample(a: &SampleArgs) -> Result<()> {
    if a.count == 0 || a.batch == 0 {
        bail!("--count and --batch must be at least 1");
    }
    let cfg = a.sampler.config(a.seed)?;
    // Range checks that need no checkpoint come first; T is checked again below.
    cfg.validate(usize::MAX)?;
    let gpu = Gpu::with_choice(&a.adapter.choice())?;
    let (ck, net) = load_net(&gpu, &a.checkpoint, a.image_size, a.ema)?;
    train::check_fits(&gpu, &net.cfg, a.batch.min(a.count))?;
    let schedule = schedule_of(&ck, &a.schedule, a.t_max)?;
    cfg.validate(schedule.t_max)?;
    let classes = net.cfg.num_classes;
    if classes == 0 && (a.class.is_some() || a.guidance.is_some()) {
        bail!("--class and --guidance need a class-conditional checkpoint (trained with --cond); this one is unconditional");
    }
    if let Some(c) = a.class.filter(|c| *c as usize >= classes) {
        bail!(
            "--class {c} is outside the trained classes 0..{}",
            classes - 1
        );
    }
    let (cond, count, cols) = class_rows(classes, a.class, a.count, a.guidance.unwrap_or(3.0));
    let pb = bar(1, "sample");
    let s = crate::sample::sample(
        &gpu,
        &net,
        &schedule,
        &cfg,
        count,
        a.batch,
        a.strip,
        cond.as_ref(),
        |k, total| {
            pb.set_length(total as u64);
            pb.set_position(k as u64);
        },
    )?;
    pb.finish();
    let (c, h) = (net.cfg.image_channels, net.cfg.image_size);
    pictures::save_grid(&a.out, &s.images, c, h, h, cols)?;
    println!("wrote {} samples to {}", s.images.len(), a.out.display());
    if a.strip > 0 && !s.strip.is_empty() {
        // Rows: the first few images; columns: snapshots from x_T to x_0.
        let rows = s.strip[0].len().min(8);
        let mut tiles = Vec::new();
        for r in 0..rows {
            for snap in &s.strip {
                tiles.push(snap[r].clone());
            }
        }
        let strip_path = a.out.with_extension("strip.png");
        pictures::save_grid(&strip_path, &tiles, c, h, h, s.strip.len())?;
        println!(
            "wrote the denoising progression (x_T .. x_0, left to right) to {}",
            strip_path.display()
        );
    }
    Ok(())
}

/// Mean noise-prediction MSE over the first `count` images, with t and eps drawn from a
/// fixed seed, BatchNorm in evaluation mode.
pub fn eval(a: &EvalArgs) -> Result<()> {
    let gpu = Gpu::with_choice(&a.adapter.choice())?;
    let ds = data::load(
        &DataSpec::parse(&a.data)?,
        &LoadOptions {
            size: a.image_size,
            ..Default::default()
        },
    )?;
    let (ck, net) = load_net(&gpu, &a.checkpoint, ds.h, false)?;
    if (net.cfg.image_channels, net.cfg.image_size) != (ds.c, ds.h) {
        bail!(
            "the checkpoint is for {}x{}x{} images but the data is {}x{}x{}",
            net.cfg.image_channels,
            net.cfg.image_size,
            net.cfg.image_size,
            ds.c,
            ds.h,
            ds.w
        );
    }
    let loss = eval_loss(
        &gpu,
        &net,
        &schedule_of(&ck, &a.schedule, a.t_max)?,
        &ds,
        a.count,
        a.batch,
        a.seed,
    )?;
    println!(
        "eval: mean noise-prediction MSE {loss:.6} over {} images (seed {})",
        a.count.min(ds.len()),
        a.seed
    );
    Ok(())
}

pub fn eval_loss(
    gpu: &Arc<Gpu>,
    net: &UNet,
    schedule: &Schedule,
    ds: &data::Dataset,
    count: usize,
    batch: usize,
    seed: u64,
) -> Result<f64> {
    let count = count.min(ds.len());
    let batch = batch.clamp(1, count.max(1));
    train::check_fits(gpu, &net.cfg, batch)?;
    let (c, s) = (net.cfg.image_channels, net.cfg.image_size);
    let shape = [batch, c, s, s];
    let (x0, xt, eps, t) = (
        gpu.zeros(&shape),
        gpu.zeros(&shape),
        gpu.zeros(&shape),
        gpu.zeros(&[batch]),
    );
    let table_data = schedule.gpu_table();
    let table = gpu.upload(&table_data, &[table_data.len()]);
    let rng = gpu.zeros(&[4]);
    let mut g = Graph::new(gpu, false);
    let x = g.input(xt.clone());
    // Class-conditional networks are scored unconditionally (null label).
    let null = (net.cfg.num_classes > 0)
        .then(|| gpu.upload_u32(&vec![net.cfg.num_classes as u32; batch], &[batch]));
    let out = net.forward_cond(&mut g, &x, &t, null.as_ref());
    let loss = g.mse(&out, &eps);
    let mut prog = Program::new();
    prog.push(add_noise::add_noise(
        gpu,
        batch,
        c * s * s,
        &table,
        &rng,
        &x0,
        &t,
        &xt,
        &eps,
    ));
    prog.append(std::mem::take(&mut g.fwd));
    let (mut total, mut seen) = (0.0f64, 0usize);
    let mut k = 0u64;
    while seen + batch <= count.max(batch) && seen < count {
        let imgs: Vec<f32> = (seen..seen + batch)
            .flat_map(|i| ds.image(i % ds.len()).to_vec())
            .collect();
        gpu.write(&x0, &imgs);
        gpu.queue.write_buffer(
            &rng.buf,
            0,
            bytemuck::cast_slice(&[seed as u32, (seed >> 32) as u32, k as u32, 0u32]),
        );
        prog.run(gpu);
        total += gpu.read(&loss)[0] as f64 * batch as f64;
        seen += batch;
        k += 1;
    }
    Ok(total / seen.max(1) as f64)
}

/// Defaults of the classic DDPM workloads; flags given explicitly win.
#[derive(Clone, Debug, PartialEq)]
pub struct Preset {
    pub image_size: usize,
    pub image_channels: usize,
    pub t_max: usize,
    pub variance: &'static str,
    pub weight_decay: f32,
    pub needs_data: &'static str,
}

pub fn preset(name: &str) -> Result<Preset> {
    let p = |image_size, image_channels, t_max, variance, weight_decay, needs_data| Preset {
        image_size,
        image_channels,
        t_max,
        variance,
        weight_decay,
        needs_data,
    };
    Ok(match name {
        "mnist" => p(
            28,
            1,
            1000,
            "small",
            0.0,
            "an MNIST IDX file (train-images-idx3-ubyte[.gz])",
        ),
        "mnist-t300" => p(
            28,
            1,
            300,
            "small",
            0.0,
            "an MNIST IDX file (train-images-idx3-ubyte[.gz])",
        ),
        "fashion16" => p(16, 1, 150, "small", 0.0, "a Fashion-MNIST IDX file"),
        "single48" => p(48, 3, 1000, "large", 0.0, "one PNG/JPEG image"),
        "folder64" => p(64, 3, 1000, "small", 0.01, "a folder of PNG/JPEG images"),
        other => bail!(
            "unknown --preset {other}: use mnist, mnist-t300, fashion16, single48 or folder64"
        ),
    })
}

impl TrainArgs {
    /// Fill unset flags from the preset (or the plain defaults).
    pub fn resolved(&self) -> Result<TrainArgs> {
        let mut a = self.clone();
        let p = match &self.preset {
            Some(name) => {
                let p = preset(name)?;
                if a.data == "builtin" {
                    bail!(
                        "--preset {name} trains on {}: pass it with --data PATH",
                        p.needs_data
                    );
                }
                p
            }
            None => Preset {
                image_size: 0,
                image_channels: 1,
                t_max: 1000,
                variance: "small",
                weight_decay: 0.0,
                needs_data: "",
            },
        };
        if p.image_size > 0 {
            a.image_size = a.image_size.or(Some(p.image_size));
        }
        a.image_channels = a.image_channels.or(Some(p.image_channels));
        a.t_max = a.t_max.or(Some(p.t_max));
        a.weight_decay = a.weight_decay.or(Some(p.weight_decay));
        a.variance = a.variance.or(Some(p.variance.to_string()));
        Ok(a)
    }
}
