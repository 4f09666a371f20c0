//! `wgpu-ddpm quality`: a sample-quality number for a checkpoint. A small classifier is
//! trained on the dataset with our own kernels (cached as a file), and the Frechet distance
//! between its features of real and generated images is reported beside two references
//! (held-out real images, and noise), with class coverage and mean confidence.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Result};
use clap::Args;

use super::sampler_choice::sampler_kind;
use super::{bar, expect_data_shape, load_net, schedule_of, AdapterArgs};
use crate::data::{self, DataSpec, Dataset, LoadOptions};
use crate::diffusion::sampler::{SamplerConfig, SamplerKind, Variance};
use crate::gpu::Gpu;
use crate::model::network::Model;
use crate::quality::{self, Judge, Score};
use crate::sample::Conditioning;
use crate::train::permutation;
use crate::util::host_rng::HostRng;

/// What every report says about the number.
pub const DISCLAIMER: &str = "Frechet distance of a small classifier's 64 features, trained on this dataset: not Inception FID; it compares runs on the same dataset only";

#[derive(Args, Debug, Clone)]
pub struct QualityArgs {
    /// Checkpoint to judge; without it only the references (real vs real, noise) are shown.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Dataset the classifier learns and the real images come from (must carry labels).
    #[arg(long, default_value = "builtin")]
    pub data: String,
    /// IDX label file (found automatically beside `*-images-idx3-*` files).
    #[arg(long)]
    pub labels: Option<String>,
    /// Images in each set (real reference, real held out, noise, generated).
    #[arg(long, default_value_t = 200)]
    pub count: usize,
    /// Sampler of the generated images: ddim (eta 1), dpm++2m or ddpm (variance small).
    #[arg(long, default_value = "ddim")]
    pub sampler: String,
    /// Its steps (ddim: default 50, dpm++2m: default 20; ddpm runs all T).
    #[arg(long, alias = "sample-steps")]
    pub steps: Option<usize>,
    /// Guidance scale for class-conditional checkpoints (classes drawn in turn).
    #[arg(long, default_value_t = 3.0)]
    pub guidance: f32,
    /// Classifier cache; default: quality_classifier.safetensors beside the checkpoint
    /// (or in runs/ without one). Retrained when it was trained on other data.
    #[arg(long)]
    pub classifier: Option<PathBuf>,
    /// Adam steps (batch 64) when the classifier has to be trained.
    #[arg(long, default_value_t = 400)]
    pub classifier_steps: u64,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub adapter: AdapterArgs,
}

/// The classifier for `ds` (cached at `cache`) and the reference sets: (judge on real set A,
/// real set B, noise).
pub fn references(
    gpu: &Arc<Gpu>,
    ds: &Dataset,
    cache: &Path,
    count: usize,
    steps: u64,
) -> Result<(Judge, Vec<f32>, Vec<f32>)> {
    if ds.labels.is_none() || ds.num_classes < 2 {
        bail!(
            "quality needs labelled data with at least 2 classes, but {} has none: use builtin, an IDX file with its labels (--labels), or a folder with one subfolder per class",
            ds.description
        );
    }
    if ds.len() < 2 * count {
        bail!(
            "--count {count} needs {} images (two disjoint real sets) but {} has {}; pass a smaller --count",
            2 * count,
            ds.description,
            ds.len()
        );
    }
    let pb = bar(steps, "classifier");
    let (clf, cached) = quality::classifier_for(gpu, ds, &ds.description, cache, steps, |s, _| {
        pb.set_position(s)
    })?;
    pb.finish_and_clear();
    if cached {
        eprintln!("using the cached classifier {}", cache.display());
    } else {
        eprintln!("trained the classifier, cached at {}", cache.display());
    }
    let perm = permutation(ds.len(), 0x9A11, 0);
    let set = |r: std::ops::Range<usize>| -> Vec<f32> {
        perm[r].iter().flat_map(|&i| ds.image(i).to_vec()).collect()
    };
    let (a, b) = (set(0..count), set(count..2 * count));
    let mut rng = HostRng::new(0x0015E);
    let noise = (0..a.len())
        .map(|_| rng.normal().clamp(-1.0, 1.0))
        .collect();
    Ok((Judge::new(gpu, clf, &a), b, noise))
}

/// `count` images of `net` by `kind`; a conditional net draws the classes in turn with
/// guidance `w`.
pub fn generate(
    gpu: &Arc<Gpu>,
    net: &Model,
    schedule: &crate::diffusion::schedule::Schedule,
    count: usize,
    kind: SamplerKind,
    w: f32,
    seed: u64,
) -> Result<Vec<f32>> {
    let k = net.cfg.num_classes;
    let cond = (k > 0).then(|| Conditioning {
        labels: (0..count).map(|i| (i % k) as u32).collect(),
        guidance: w,
    });
    let cfg = SamplerConfig {
        kind,
        clip_x0: false,
        seed: seed ^ 0x51A11,
        prediction: net.prediction,
    };
    let batch = count.min(64);
    let s = crate::sample::sample(
        gpu,
        net,
        schedule,
        &cfg,
        count,
        batch,
        0,
        cond.as_ref(),
        |_, _| {},
    )?;
    Ok(s.images.concat())
}

pub fn print_row(what: &str, s: &Score) {
    println!(
        "  {what:<34} {:>10.3} {:>6}/{:<3} {:>10.3}",
        s.frechet, s.covered, s.classes, s.confidence
    );
}

pub fn quality(a: &QualityArgs) -> Result<()> {
    if a.count < 2 {
        bail!("--count must be at least 2 (a covariance needs two images)");
    }
    let kind = sampler_kind(&a.sampler, a.steps, Variance::Small, 1.0)?;
    let gpu = a.adapter.open()?;
    let net = a
        .checkpoint
        .as_ref()
        .map(|p| load_net(&gpu, p, 28, false))
        .transpose()?;
    let size = net.as_ref().map(|(_, n)| n.cfg.image_size);
    let ds = data::load(
        &DataSpec::parse(&a.data)?,
        &LoadOptions {
            size,
            labels: a.labels.clone(),
            channels: net.as_ref().map_or(1, |(_, n)| n.cfg.image_channels),
            ..Default::default()
        },
    )?;
    let cache = a.classifier.clone().unwrap_or_else(|| {
        a.checkpoint
            .as_ref()
            .and_then(|p| p.parent())
            .map_or(PathBuf::from("runs"), Path::to_path_buf)
            .join("quality_classifier.safetensors")
    });
    if let Some(dir) = cache.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let (judge, real_b, noise) = references(&gpu, &ds, &cache, a.count, a.classifier_steps)?;
    println!("quality on {} ({} images per set)", ds.description, a.count);
    println!("  {DISCLAIMER}");
    println!(
        "  {:<34} {:>10} {:>10} {:>10}",
        "set", "frechet", "coverage", "confidence"
    );
    print_row("real vs real (held out)", &judge.score(&gpu, &real_b));
    print_row("noise (N(0,1) clamped)", &judge.score(&gpu, &noise));
    if let (Some((ck, net)), Some(path)) = (&net, &a.checkpoint) {
        expect_data_shape(&net.cfg, &ds)?;
        let schedule = schedule_of(ck, "linear", 1000)?;
        // A DDIM step count past T means the full chain (T steps), as it always has.
        let kind = match kind {
            SamplerKind::Ddim { steps, eta } => SamplerKind::Ddim {
                steps: steps.min(schedule.t_max),
                eta,
            },
            k => k,
        };
        let started = std::time::Instant::now();
        let images = generate(&gpu, net, &schedule, a.count, kind, a.guidance, a.seed)?;
        let secs = started.elapsed().as_secs_f64();
        let what = super::describe_sampler(&kind, schedule.t_max);
        print_row(
            &format!("{} ({what})", path.display()),
            &judge.score(&gpu, &images),
        );
        println!("  sampling took {secs:.1}s");
    }
    Ok(())
}
