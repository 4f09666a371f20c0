//! `wgpu-ddpm sample`: draw a PNG grid (and a denoising strip) from a checkpoint, or every
//! image as its own file (`--out-dir`, `--npy`).

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;

use super::sample_files::ImageFiles;
pub use super::sampler_choice::SamplerArgs;
use super::{
    bar, class_names, class_rows, describe_sampler, follow, sample_labels, AdapterArgs,
    StateDictArgs,
};
use crate::kernels::prediction::Prediction;
use crate::pictures;
use crate::sample::{sample_batches, Strip};
use crate::train;

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
    #[command(flatten)]
    pub state_dict: StateDictArgs,
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
    /// Output grid PNG (not written with --out-dir or --npy).
    #[arg(long, default_value = "samples.png")]
    pub out: PathBuf,
    /// Write each image as its own PNG, DIR/000000.png, 000001.png, ... (8-bit gray or RGB),
    /// batch by batch, for FID tools (pytorch-fid, clean-fid); the folder must be empty or
    /// new unless --overwrite.
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
    /// Write every image into one .npy file: uint8, shape (count, H, W, C), the PNGs' bytes.
    #[arg(long)]
    pub npy: Option<PathBuf>,
    /// Let --out-dir be a non-empty folder (its numbered PNGs are replaced) and --npy an
    /// existing file.
    #[arg(long)]
    pub overwrite: bool,
    /// Also write a denoising-progression strip (x_T .. x_0) with this many columns.
    #[arg(long, default_value_t = 10)]
    pub strip: usize,
    #[command(flatten)]
    pub adapter: AdapterArgs,
}

pub fn sample(a: &SampleArgs) -> Result<()> {
    if a.count == 0 || a.batch == 0 {
        bail!("--count and --batch must be at least 1");
    }
    // Range checks that need no checkpoint come first; T is checked again below.
    a.sampler
        .config(a.seed, Prediction::Eps)?
        .validate(usize::MAX)?;
    let gpu = a.adapter.open()?;
    let (ck, net, schedule) = a.state_dict.load(&gpu, &a.checkpoint, a.ema)?;
    train::check_fits(&gpu, &net.cfg, a.batch.min(a.count))?;
    let cfg = a.sampler.config(a.seed, net.prediction)?;
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
    if a.out_dir.is_some() || a.npy.is_some() {
        let (dir, npy) = (a.out_dir.as_deref(), a.npy.as_deref());
        let (c, side) = (net.cfg.image_channels, net.cfg.image_size);
        let mut files = ImageFiles::create(dir, npy, a.overwrite, count, c, side)?;
        let pb = bar(1, "sample");
        let each = |first: usize, images: &[f32], _: Option<Strip>| files.write(first, images);
        let (batch, cond) = (a.batch, cond.as_ref());
        sample_batches(
            &gpu,
            &net,
            &schedule,
            &cfg,
            count,
            batch,
            0,
            cond,
            follow(&pb),
            each,
        )?;
        pb.finish();
        files.finish()?;
        for (flag, path) in [("--out-dir", dir), ("--npy", npy)] {
            if let Some(p) = path {
                println!("wrote {count} samples to {} ({flag})", p.display());
            }
        }
        return Ok(());
    }
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
        follow(&pb),
    )?;
    pb.finish();
    let (c, h) = (net.cfg.image_channels, net.cfg.image_size);
    let names = class_names(&ck, classes);
    let what = describe_sampler(&cfg.kind, schedule.t_max);
    let mut title = format!("{} samples ({what})", s.images.len());
    if let (Some(k), Some(cond)) = (a.class, &cond) {
        title = format!("{title}: {}, guidance {}", names[k as usize], cond.guidance);
    }
    let labels = sample_labels(
        title,
        cond.as_ref().filter(|_| a.class.is_none()),
        cols,
        &names,
    );
    pictures::save_png(&a.out, &pictures::grid(&s.images, c, h, h, cols, &labels)?)?;
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
        let mut strip_labels = pictures::GridLabels {
            title: Some(format!("denoising, x_T (left) to x_0 (right), {what}")),
            cols: s.strip_t.iter().map(|t| format!("t={t}")).collect(),
            rows: Vec::new(),
        };
        if let (Some(cond), None) = (&cond, a.class) {
            strip_labels.rows = cond.labels[..rows]
                .iter()
                .map(|&l| names[l as usize].clone())
                .collect();
        }
        let strip_path = a.out.with_extension("strip.png");
        let strip = pictures::grid(&tiles, c, h, h, s.strip.len(), &strip_labels)?;
        pictures::save_png(&strip_path, &strip)?;
        println!(
            "wrote the denoising progression (x_T .. x_0, left to right) to {}",
            strip_path.display()
        );
    }
    Ok(())
}
