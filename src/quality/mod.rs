//! A sample-quality number: a small classifier trained on the dataset with our own kernels
//! (`classifier`), and the Frechet distance between its 64 features of real and generated
//! images (`frechet`), with class coverage and mean confidence. This is *not* Inception FID:
//! the numbers only compare runs on the same dataset with the same cached classifier.

pub mod classifier;
pub mod frechet;

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;

pub use classifier::{Classifier, ClassifierConfig, FEATURES};

use crate::data::Dataset;
use crate::gpu::Gpu;

/// Images per classifier batch when embedding.
pub const EMBED_BATCH: usize = 64;

/// The quality of a set of images against the real reference set.
#[derive(Clone, Copy, Debug)]
pub struct Score {
    /// Frechet distance of the classifier features (lower is better; 0 is identical).
    pub frechet: f64,
    /// Classes the classifier assigns to at least a fifth of their even share of images.
    pub covered: usize,
    pub classes: usize,
    /// Mean over images of the classifier's top probability.
    pub confidence: f64,
}

/// A classifier and the feature statistics of the real reference images.
pub struct Judge {
    pub classifier: Classifier,
    mu: Vec<f64>,
    cov: Vec<f64>,
}

impl Judge {
    pub fn new(gpu: &Gpu, classifier: Classifier, real: &[f32]) -> Judge {
        let (f, _) = classifier.embed(gpu, real, EMBED_BATCH);
        let (mu, cov) = frechet::mean_cov(&f, FEATURES);
        Judge {
            classifier,
            mu,
            cov,
        }
    }

    /// Score `images` (n * C*H*W values in [-1, 1]).
    pub fn score(&self, gpu: &Gpu, images: &[f32]) -> Score {
        let (f, logp) = self.classifier.embed(gpu, images, EMBED_BATCH);
        let (mu, cov) = frechet::mean_cov(&f, FEATURES);
        let k = self.classifier.cfg.classes;
        let frechet = frechet::frechet_distance(&self.mu, &self.cov, &mu, &cov, FEATURES);
        let (covered, confidence) = coverage(&logp, k);
        Score {
            frechet,
            covered,
            classes: k,
            confidence,
        }
    }
}

/// (classes covered, mean top probability) of log-probability rows [n, k]: a class is
/// covered when it is the top class of at least max(1, n / (5k)) rows.
pub fn coverage(logp: &[f32], k: usize) -> (usize, f64) {
    let n = logp.len() / k;
    let mut counts = vec![0usize; k];
    let mut conf = 0.0;
    for row in logp.chunks(k) {
        let (arg, best) =
            row.iter()
                .enumerate()
                .fold((0, f32::MIN), |a, (i, &v)| if v > a.1 { (i, v) } else { a });
        counts[arg] += 1;
        conf += (best as f64).exp();
    }
    let need = (n / (5 * k)).max(1);
    let covered = counts.iter().filter(|&&c| c >= need).count();
    (covered, conf / n.max(1) as f64)
}

/// The classifier cached at `path` when it was trained on `about`, else a new one trained
/// on `data` (`steps` Adam steps) and saved there (replacing a classifier of other data).
/// Returns (classifier, whether it came from the cache). `progress(step, steps)` while training.
pub fn classifier_for(
    gpu: &Arc<Gpu>,
    data: &Dataset,
    about: &str,
    path: &Path,
    steps: u64,
    mut progress: impl FnMut(u64, u64),
) -> Result<(Classifier, bool)> {
    let cfg = ClassifierConfig {
        image_channels: data.c,
        image_size: data.h,
        classes: data.num_classes,
    };
    if path.exists() {
        // Only a quality classifier is ever replaced (one of other data or shape); any other
        // file there is an error, never overwritten.
        let (c, cached_about) = Classifier::load(gpu, path)?;
        if cached_about == about && c.cfg == cfg {
            return Ok((c, true));
        }
    }
    let c = Classifier::new(gpu, &cfg, 0)?;
    c.fit(gpu, data, steps, 64, 0, |s| progress(s, steps))?;
    c.save(gpu, path, about)?;
    Ok((c, false))
}
