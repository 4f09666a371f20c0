//! `wgpu-ddpm edit`: SDEdit an image with a checkpoint, optionally optimising the input for
//! a reward through add-noise and the sampler steps.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::{AdapterArgs, StateDictArgs};
use crate::data::{self, DataSpec, LoadOptions};
use crate::finetune::edit::{sdedit, EditConfig};
use crate::finetune::Reward;
use crate::pictures;

#[derive(Args, Debug, Clone)]
pub struct EditArgs {
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// The image to edit (PNG/JPEG; resized to the network's size).
    #[arg(long)]
    pub image: String,
    /// Noise level S in (0, 1]: the image is noised to t = S*T and denoised back.
    #[arg(long, default_value_t = 0.5)]
    pub strength: f32,
    /// DDIM steps from t = S*T to 0.
    #[arg(long, default_value_t = 20)]
    pub steps: usize,
    /// Edits to draw (each with its own noise).
    #[arg(long, default_value_t = 4)]
    pub count: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Optimise the input image for this reward (brightness, target:IMAGE, class:N) before editing.
    #[arg(long)]
    pub reward: Option<String>,
    /// Adam steps on the input image when --reward is given.
    #[arg(long, default_value_t = 20)]
    pub iters: usize,
    #[arg(long, default_value_t = 0.05)]
    pub lr: f32,
    /// Output grid: first row the inputs, second row their edits.
    #[arg(long, default_value = "edited.png")]
    pub out: PathBuf,
    #[command(flatten)]
    pub state_dict: StateDictArgs,
    #[command(flatten)]
    pub adapter: AdapterArgs,
}

pub fn edit(a: &EditArgs) -> Result<()> {
    let gpu = a.adapter.open()?;
    let (_, net, schedule) = a.state_dict.load(&gpu, &a.checkpoint, false)?;
    let (c, size) = (net.cfg.image_channels, net.cfg.image_size);
    let img = data::load(
        &DataSpec::parse(&a.image)?,
        &LoadOptions {
            size: Some(size),
            channels: c,
            count: 1,
            ..Default::default()
        },
    )?;
    let reward = a
        .reward
        .as_deref()
        .map(|r| Reward::parse_for(r, c, size, &gpu, &a.checkpoint))
        .transpose()?;
    let cfg = EditConfig {
        strength: a.strength,
        steps: a.steps,
        count: a.count,
        seed: a.seed,
        reward,
        iters: a.iters,
        lr: a.lr,
        prediction: net.prediction,
    };
    let e = sdedit(&gpu, &net, &schedule, img.image(0), &cfg)?;
    if let (Some(first), Some(last)) = (e.rewards.first(), e.rewards.last()) {
        println!(
            "reward of the edits: {first:.4} for the input as given, {last:.4} after optimising it"
        );
    }
    let chw = c * size * size;
    let tiles: Vec<Vec<f32>> = e
        .inputs
        .chunks(chw)
        .chain(e.outputs.chunks(chw))
        .map(<[f32]>::to_vec)
        .collect();
    let img = pictures::grid(&tiles, c, size, size, a.count, &Default::default())?;
    pictures::save_png(&a.out, &img)?;
    println!(
        "wrote {} edits (strength {}) to {}: inputs on top, edits below",
        a.count,
        a.strength,
        a.out.display()
    );
    Ok(())
}
