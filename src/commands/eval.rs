//! `wgpu-ddpm eval`: mean noise-prediction MSE of a checkpoint on a dataset.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;

use super::{load_net, schedule_of, AdapterArgs};
use crate::data::{self, DataSpec, LoadOptions};
use crate::gpu::Gpu;
use crate::train::Evaluator;

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
    // Batches never exceed the images evaluated.
    let count = a.count.min(ds.len());
    let batch = a.batch.clamp(1, count.max(1));
    let schedule = schedule_of(&ck, &a.schedule, a.t_max)?;
    let loss = Evaluator::new(&gpu, &net, &schedule, batch)?.mean_loss(&ds, count, a.seed);
    println!(
        "eval: mean noise-prediction MSE {loss:.6} over {} images (seed {})",
        a.count.min(ds.len()),
        a.seed
    );
    Ok(())
}
