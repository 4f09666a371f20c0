//! `wgpu-ddpm eval`: mean noise-prediction MSE of a checkpoint on a dataset.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;

use super::{expect_data_shape, load_net, schedule_of, AdapterArgs};
use crate::data::{self, DataSpec, LoadOptions};
use crate::kernels::prediction::Prediction;
use crate::train::mean_loss;

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
    /// Score at this fixed timestep instead of a random t per image (repeatable: one line per
    /// t), so two implementations can be compared on the same weights without t's noise.
    #[arg(long = "t")]
    pub fixed_t: Vec<usize>,
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
    if a.count == 0 || a.batch == 0 {
        bail!(
            "eval: --count and --batch must be at least 1 (got --count {}, --batch {})",
            a.count,
            a.batch
        );
    }
    let gpu = a.adapter.open()?;
    let ds = data::load(
        &DataSpec::parse(&a.data)?,
        &LoadOptions {
            size: a.image_size,
            ..Default::default()
        },
    )?;
    let (ck, net) = load_net(&gpu, &a.checkpoint, ds.h, false)?;
    expect_data_shape(&net.cfg, &ds)?;
    let count = a.count.min(ds.len());
    if count < a.count {
        eprintln!(
            "note: --count {} but {} holds {} images; evaluating all {count}",
            a.count,
            ds.description,
            ds.len()
        );
    }
    let schedule = schedule_of(&ck, &a.schedule, a.t_max)?;
    if let Some(t) = a.fixed_t.iter().find(|t| **t == 0 || **t > schedule.t_max) {
        bail!(
            "--t {t}: a timestep must be in 1..={} (the checkpoint's T)",
            schedule.t_max
        );
    }
    let ts: Vec<Option<usize>> = if a.fixed_t.is_empty() {
        vec![None]
    } else {
        a.fixed_t.iter().map(|t| Some(*t)).collect()
    };
    for t in ts {
        let loss = mean_loss(&gpu, &net, &schedule, a.batch, &ds, count, a.seed, t)?;
        let at = t.map_or("random t".to_string(), |t| format!("t {t}"));
        // The loss is in the network's own target, named as such.
        let what = match net.prediction {
            Prediction::Eps => "noise-prediction",
            Prediction::X0 => "x0-prediction",
            Prediction::V => "v-prediction",
        };
        println!(
            "eval: mean {what} MSE {loss:.6} over {count} images ({at}, seed {})",
            a.seed
        );
    }
    Ok(())
}
