//! `wgpu-ddpm train`: the training loop with its progress bar, metrics, checkpoints and
//! sample grids.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;

use super::train_optim::OptimArgs;
use super::train_output::{grid_sampler, save_chart, write_samples, QualityLog};
use super::train_setup::{setup, Setup};
use super::{bar, parse_variance, AdapterArgs, CLASS_NAMES_KEY};
use crate::train::{self, interrupt, metrics, Metrics, Trainer};

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
    /// The network: seed000 (the seed U-Net, the default), seed001, seed002, seed003 or
    /// seed004 (the seed tutorials' own; `info` lists them); --preset picks its seed's.
    #[arg(long)]
    pub net: Option<String>,
    /// Channel widths, as the network reads them (seed000: c1,c2,c3, default 64,128,256 on a
    /// GPU and 16,32,64 on a CPU adapter; the others: see `info`).
    #[arg(long, value_delimiter = ',')]
    pub channels: Option<Vec<usize>>,
    /// Time-embedding size D (default: the network's, 100 for seed000).
    #[arg(long)]
    pub temb_dim: Option<usize>,
    /// Number of diffusion steps T (default 1000).
    #[arg(long = "timesteps", short = 'T')]
    pub t_max: Option<usize>,
    /// Noise schedule: linear or cosine.
    #[arg(long, default_value = "linear")]
    pub schedule: String,
    /// A classic workload's defaults and its seed's network (every flag still overrides):
    /// mnist (28x28, T=1000, seed000), mnist-t300 (seed002), fashion16 (16x16, T=150,
    /// seed004), single48 (one 48x48 RGB image, sigma^2 = beta, seed001), folder64 (64x64 RGB
    /// image folder, AdamW, seed003).
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
    /// Training steps (default 3000 on a GPU; 800 on a CPU adapter). Overrides --epochs.
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
    /// Also keep the newest N checkpoints as step-numbered copies beside the latest
    /// (checkpoint_000500.safetensors, ...); older copies are deleted. 0: none.
    #[arg(long, default_value_t = 0)]
    pub keep_checkpoints: usize,
    /// Steps of the sample grids' sampler, DDIM (eta 1) unless --sample-sampler; default: the
    /// full DDPM chain on a GPU, a 100-step DDIM on a CPU adapter.
    #[arg(long)]
    pub sample_steps: Option<usize>,
    /// Sampler of the sample grids: ddpm, ddim (eta 1) or dpm++2m, with --sample-steps
    /// steps (ddim: 50, dpm++2m: 20 when not given); default: as --sample-steps describes.
    #[arg(long)]
    pub sample_sampler: Option<String>,
    /// Images in each sample grid.
    #[arg(long, default_value_t = 16)]
    pub samples: usize,
    /// Clip gradients to this global L2 norm (e.g. 1.0); off by default.
    #[arg(long)]
    pub grad_clip: Option<f32>,
    /// Keep an EMA of the weights with this fixed decay (e.g. 0.999); off by default.
    #[arg(long)]
    pub ema: Option<f32>,
    #[command(flatten)]
    pub optim: OptimArgs,
    /// Log the quality number (`wgpu-ddpm quality`) every N steps and at the end into
    /// metrics.csv and loss.png (0: off). Needs labelled data; costs --quality-count
    /// generated images (50-step DDIM) each time.
    #[arg(long, default_value_t = 0)]
    pub quality_every: u64,
    /// Images generated for each --quality-every measurement.
    #[arg(long, default_value_t = 100)]
    pub quality_count: usize,
    /// Run directory (config, metrics.csv, PNGs, checkpoint.safetensors).
    #[arg(long, default_value = "runs/latest")]
    pub out: PathBuf,
    /// Continue from the run directory's checkpoint (or this checkpoint file); a run
    /// directory without one starts a new run (and says so).
    #[arg(long, num_args = 0..=1, default_missing_value = "")]
    pub resume: Option<String>,
    #[command(flatten)]
    pub adapter: AdapterArgs,
}

pub fn train(a: &TrainArgs) -> Result<()> {
    let a = &a.resolved()?;
    let variance = parse_variance(a.variance.as_deref().unwrap_or("small"))?;
    let gpu = a.adapter.open()?;
    let out = a.out.clone();
    std::fs::create_dir_all(&out)
        .with_context(|| format!("could not create run folder {}", out.display()))?;
    train::run_folder::check_writable(&out)?;
    let Setup {
        cfg,
        ds,
        names,
        resumed,
        changed,
    } = setup(a, &gpu, &out)?;
    let (batch, steps) = (cfg.effective_batch(), cfg.steps);
    train::check_fits(&gpu, &cfg.net, cfg.batch)?;
    train::memory::check_host_memory(&gpu, &cfg.net, cfg.batch, (ds.pixels.len() * 4) as u64)?;
    let mut tr = Trainer::new(gpu.clone(), cfg.clone())?;
    let grid_choice = (a.sample_sampler.as_deref(), a.sample_steps);
    grid_sampler(&gpu, tr.schedule.t_max, variance, grid_choice, 0)?;
    if let Some(r) = &resumed {
        tr.resume_from(&r.ck)
            .with_context(|| format!("resuming from {}", r.path.display()))?;
        eprintln!("resumed at step {} from {}", tr.step, r.path.display());
    }
    if tr.step >= steps {
        bail!(
            "the checkpoint is already at step {} and --steps is {steps}: nothing to train; pass a larger --steps",
            tr.step
        );
    }
    train::run_folder::write_config(&out, &cfg, tr.step, changed)?;
    println!(
        "training on {} | adapter {} | {} {:?}, {} parameters, {} dispatches per step | run folder {}",
        ds.description,
        gpu.describe(),
        cfg.net.net.name(),
        cfg.net.channels,
        tr.net.param_count(),
        tr.dispatches_per_step(),
        out.display()
    );
    let mut metrics = Metrics::open(&out, tr.step)?;
    let mut curve = metrics::read_curve(&out.join("metrics.csv"));
    let mut quality = match a.quality_every {
        0 => None,
        every => {
            let done = metrics::read_quality(&out.join("metrics.csv"));
            let kept = done.into_iter().filter(|p| p.0 <= tr.step).collect();
            Some(QualityLog::new(
                &gpu,
                &ds,
                &out,
                every,
                a.quality_count,
                kept,
            )?)
        }
    };
    let interrupts = interrupt::counter();
    let ckpt_path = out.join("checkpoint.safetensors");
    let pb = bar(steps, "train");
    pb.set_position(tr.step);
    let start = Instant::now();
    let (mut last_t, mut last_step) = (Instant::now(), tr.step);
    // The expected duration, from the pace of steps 11..=30 of this session (the first
    // steps also build pipelines and fill the queue; on lavapipe steps 2..=6 ran 1.4x slower
    // than the run's average).
    let (first, mut pace_from) = (tr.step, None);
    // Step of the last checkpoint on disk that this run wrote or resumed from.
    let mut saved = resumed.is_some().then_some(tr.step);
    while tr.step < steps {
        tr.step(&ds);
        pb.set_position(tr.step);
        if tr.step == first + 10 {
            pace_from = Some(Instant::now());
        }
        if let Some(t0) = pace_from.filter(|_| tr.step == first + 30 && tr.step < steps) {
            let per_step = t0.elapsed().as_secs_f64() / 20.0;
            let rest = per_step * (steps - tr.step) as f64 + start.elapsed().as_secs_f64();
            pb.suspend(|| eprintln!(
                "expected duration: about {}m{:02}s for {steps} steps ({:.2} s/step), plus the final sample grid",
                rest as u64 / 60,
                rest as u64 % 60,
                per_step
            ));
        }
        let stop = interrupts.load(Ordering::SeqCst) > 0;
        let last = tr.step == steps || stop;
        let save = last || (a.checkpoint_every > 0 && tr.step % a.checkpoint_every == 0);
        // Losses are read back before every checkpoint, so metrics.csv holds every step the
        // checkpoint covers and a NaN is caught before poisoned weights are written.
        let quality_due = a.quality_every > 0 && tr.step % a.quality_every == 0;
        let flush = save || quality_due || tr.step % cfg.log_every == 0;
        let losses = tr.take_losses(flush);
        if !losses.is_empty() {
            let dt = last_t.elapsed().as_secs_f64();
            let ips = (tr.step - last_step) as f64 * batch as f64 / dt.max(1e-9);
            (last_t, last_step) = (Instant::now(), tr.step);
            if let Err(e) = train::check_finite(&losses, a.lr, &ckpt_path, saved) {
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
        if let Some(q) = quality.as_mut().filter(|q| last || tr.step % q.every == 0) {
            let s = q.log(&gpu, &tr, &mut metrics, start.elapsed().as_secs_f64())?;
            pb.suspend(|| {
                eprintln!(
                    "step {}: quality frechet {:.3}, coverage {}/{}, confidence {:.3}",
                    tr.step, s.frechet, s.covered, s.classes, s.confidence
                )
            });
            save_chart(&out, &curve, &q.points)?;
        }
        if save {
            metrics.sync()?;
            let mut ck = tr.checkpoint();
            if ck.check_finite("").is_err() {
                pb.abandon();
                let what = "the weights became NaN or Inf";
                return Err(train::diverged(what, tr.step, a.lr, &ckpt_path, saved));
            }
            ck.metadata
                .insert(CLASS_NAMES_KEY.into(), serde_json::to_string(&names)?);
            let bytes = ck.to_bytes()?;
            crate::checkpoint::write_atomic(&ckpt_path, &bytes)?;
            if a.keep_checkpoints > 0 {
                train::run_folder::keep_numbered(&out, tr.step, &bytes, a.keep_checkpoints)?;
            }
            saved = Some(tr.step);
            save_chart(&out, &curve, quality.as_ref().map_or(&[], |q| &q.points))?;
        }
        if !last && a.sample_every > 0 && tr.step % a.sample_every == 0 {
            write_samples(
                &gpu,
                &tr,
                &out.join(format!("samples_{:06}.png", tr.step)),
                a.samples,
                variance,
                grid_choice,
                &names,
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
    interrupt::all_saved();
    let grid = out.join("samples.png");
    write_samples(
        &gpu,
        &tr,
        &grid,
        a.samples,
        variance,
        grid_choice,
        &names,
        true,
    )?;
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
