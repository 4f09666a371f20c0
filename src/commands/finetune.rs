//! `wgpu-ddpm finetune`: DRaFT-K fine-tuning of a checkpoint on a differentiable reward.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;

use super::{bar, AdapterArgs, StateDictArgs};
use crate::diffusion::sampler::{SamplerConfig, SamplerKind};
use crate::finetune::{FinetuneConfig, Finetuner, Reward};
use crate::kernels::adam::AdamConfig;
use crate::pictures;

#[derive(Args, Debug, Clone)]
pub struct FinetuneArgs {
    /// Checkpoint to fine-tune (it is only read).
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// brightness, target:IMAGE, or class:N (log p(N) under the classifier `quality` caches beside the checkpoint).
    #[arg(long)]
    pub reward: String,
    /// Where to write the fine-tuned checkpoint (must differ from --checkpoint).
    #[arg(long, default_value = "finetuned.safetensors")]
    pub out: PathBuf,
    /// Denoising steps K recorded on the tape (the last K of the sampler).
    #[arg(short = 'K', long = "k", default_value_t = 1)]
    pub k: usize,
    /// Fine-tuning steps.
    #[arg(long, default_value_t = 50)]
    pub steps: u64,
    #[arg(long, default_value_t = 8)]
    pub batch: usize,
    #[arg(long, default_value_t = 1e-4)]
    pub lr: f32,
    /// The sampler being fine-tuned: ddim or dpm++2m (DPM-Solver++ 2M, deterministic).
    #[arg(long, default_value = "ddim")]
    pub sampler: String,
    /// Its steps (default 25; --steps counts fine-tuning steps).
    #[arg(long, alias = "ddim-steps", default_value_t = 25)]
    pub sampler_steps: usize,
    /// DDIM eta in [0, 1].
    #[arg(long, default_value_t = 0.0)]
    pub eta: f32,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub state_dict: StateDictArgs,
    /// Also write before/after sample grids (same seed) as PATH.before.png / PATH.after.png.
    #[arg(long)]
    pub grid: Option<PathBuf>,
    #[command(flatten)]
    pub adapter: AdapterArgs,
}

pub fn finetune(a: &FinetuneArgs) -> Result<()> {
    if a.out == a.checkpoint
        || (a.out.exists() && a.out.canonicalize().ok() == a.checkpoint.canonicalize().ok())
    {
        bail!("--out {} is the input checkpoint; write the fine-tuned model to another file so the original is kept", a.out.display());
    }
    if a.steps == 0 {
        bail!("--steps must be at least 1");
    }
    if a.sampler != "ddim" && a.eta != 0.0 {
        bail!("--eta is DDIM's; --sampler {} takes none", a.sampler);
    }
    let steps = a.sampler_steps;
    let kind = match a.sampler.as_str() {
        "ddim" => SamplerKind::Ddim { steps, eta: a.eta },
        "dpm++2m" => SamplerKind::DpmSolver2M { steps },
        s => bail!("--sampler {s}: finetune differentiates ddim or dpm++2m"),
    };
    let gpu = a.adapter.open()?;
    let (ck, net, schedule) = a.state_dict.load(&gpu, &a.checkpoint, false)?;
    let (c, size) = (net.cfg.image_channels, net.cfg.image_size);
    let reward = Reward::parse_for(&a.reward, c, size, &gpu, &a.checkpoint)?;
    let sampler = SamplerConfig {
        kind,
        clip_x0: false,
        seed: a.seed,
        prediction: net.prediction,
    };
    sampler.validate(schedule.t_max)?;
    let cfg = FinetuneConfig {
        sampler,
        k: a.k,
        batch: a.batch,
        adam: AdamConfig {
            lr: a.lr,
            ..Default::default()
        },
        reward,
    };
    let mut ft = Finetuner::new(&gpu, net, &schedule, cfg)?;
    // A held-out seed (never used for a training batch) scores before and after.
    let eval_seed = a.seed ^ 0xE7A1_5EED;
    let (before, imgs_before) = ft.score(eval_seed);
    let pb = bar(a.steps, "finetune");
    for _ in 0..a.steps {
        let r = ft.step()?;
        pb.set_message(format!("reward {r:.4}"));
        pb.inc(1);
    }
    pb.finish();
    let (after, imgs_after) = ft.score(eval_seed);
    println!(
        "reward on held-out samples: {before:.4} before, {after:.4} after {} steps",
        a.steps
    );
    let base_step = ck
        .metadata
        .get("step")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut out = ft.net.to_checkpoint(&gpu, base_step, false);
    for key in ["schedule", "t_max", "train_config", "rng", "prediction"] {
        if let Some(v) = ck.metadata.get(key) {
            out.metadata.insert(key.into(), v.clone());
        }
    }
    out.metadata.insert(
        "finetune".into(),
        serde_json::json!({
            "base": a.checkpoint.display().to_string(),
            "reward": a.reward, "k": a.k, "steps": a.steps, "lr": a.lr,
            "sampler": a.sampler, "sampler_steps": a.sampler_steps, "eta": a.eta, "seed": a.seed,
            "reward_before": before, "reward_after": after,
        })
        .to_string(),
    );
    if !out.metadata.contains_key("schedule") {
        out.metadata.insert(
            "schedule".into(),
            format!("{:?}", schedule.kind).to_lowercase(),
        );
        out.metadata
            .insert("t_max".into(), schedule.t_max.to_string());
    }
    out.save(&a.out)?;
    println!("wrote the fine-tuned checkpoint to {}", a.out.display());
    if let Some(p) = &a.grid {
        let chw = c * size * size;
        let cols = (a.batch as f64).sqrt().ceil() as usize;
        for (imgs, tag) in [(imgs_before, "before"), (imgs_after, "after")] {
            let tiles: Vec<Vec<f32>> = imgs.chunks(chw).map(<[f32]>::to_vec).collect();
            let path = p.with_extension(format!("{tag}.png"));
            let img = pictures::grid(&tiles, c, size, size, cols, &Default::default())?;
            pictures::save_png(&path, &img)?;
            println!("wrote {tag} samples to {}", path.display());
        }
    }
    Ok(())
}
