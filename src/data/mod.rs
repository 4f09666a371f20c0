//! Training data behind one `--data` option: the built-in procedural shapes, MNIST-style IDX
//! files, a folder of images, or a single image. Images come out in [-1, 1], NCHW.

pub mod builtin;
pub mod dropped;
pub mod idx;
pub mod images;

use std::path::Path;

use anyhow::{bail, Context, Result};

/// A dataset held in memory: `len` images of `c x h x w` in [-1, 1], with optional labels.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub pixels: Vec<f32>,
    pub labels: Option<Vec<u32>>,
    pub num_classes: usize,
    pub description: String,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.pixels.len() / self.chw().max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn chw(&self) -> usize {
        self.c * self.h * self.w
    }

    pub fn image(&self, i: usize) -> &[f32] {
        &self.pixels[i * self.chw()..(i + 1) * self.chw()]
    }
}

/// What `--data` names.
#[derive(Clone, Debug, PartialEq)]
pub enum DataSpec {
    /// `builtin` (the default): procedural shapes, no file needed.
    Builtin,
    /// An IDX image file (MNIST / Fashion-MNIST), gzip or raw.
    Idx(String),
    /// A folder of PNG/JPEG images (one subfolder per class gives labels).
    Folder(String),
    /// One image, repeated (the seed tutorials' single-image mode).
    Image(String),
}

impl DataSpec {
    pub fn parse(s: &str) -> Result<DataSpec> {
        if s == "builtin" || s.is_empty() {
            return Ok(DataSpec::Builtin);
        }
        let p = Path::new(s);
        if p.is_dir() {
            return Ok(DataSpec::Folder(s.into()));
        }
        if !p.exists() {
            bail!("--data {s}: no such file or folder (use 'builtin', an IDX file, a folder of images, or one image)");
        }
        let lower = s.to_ascii_lowercase();
        if [".png", ".jpg", ".jpeg"].iter().any(|e| lower.ends_with(e)) {
            Ok(DataSpec::Image(s.into()))
        } else {
            Ok(DataSpec::Idx(s.into()))
        }
    }
}

/// Options that shape how a dataset is loaded.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Target image size (square); `None` keeps the source size (IDX) or 28 (builtin).
    pub size: Option<usize>,
    /// Channels for image files: 1 (gray) or 3 (RGB).
    pub channels: usize,
    /// Number of images for the builtin set / the repeat count of single-image mode.
    pub count: usize,
    pub seed: u64,
    /// Label file for IDX images (auto-detected beside the images when `None`).
    pub labels: Option<String>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            size: None,
            channels: 1,
            count: 10_000,
            seed: 0,
            labels: None,
        }
    }
}

/// Host memory the built-in generator (and the copies of a single image) may fill: at large
/// sizes it makes fewer images (at least one) instead of holding `count` of them.
pub const BUILTIN_BUDGET_BYTES: usize = 256 << 20;

pub fn load(spec: &DataSpec, opt: &LoadOptions) -> Result<Dataset> {
    if let Some(s) = opt.size.filter(|s| *s == 0 || s % 4 != 0) {
        bail!(
            "--image-size {s}: the size must be a positive multiple of 4 (the U-Net pools twice by 2), e.g. {}",
            (s / 4).max(1) * 4
        );
    }
    let ds = match spec {
        DataSpec::Builtin => {
            let size = opt.size.unwrap_or(28);
            let fit = (BUILTIN_BUDGET_BYTES / (size * size * 4)).max(1);
            builtin::generate(size, opt.count.min(fit), opt.seed)
        }
        DataSpec::Idx(path) => idx::load_images_with_labels(path, opt.labels.as_deref(), opt.size)?,
        #[cfg(target_arch = "wasm32")]
        DataSpec::Folder(_) | DataSpec::Image(_) => {
            bail!("the browser build opens no paths: hand the files' bytes to data::dropped::load")
        }
        #[cfg(not(target_arch = "wasm32"))]
        DataSpec::Folder(path) => images::load_folder(path, opt.size.unwrap_or(64), opt.channels)?,
        #[cfg(not(target_arch = "wasm32"))]
        DataSpec::Image(path) => images::load_single(
            path,
            opt.size.unwrap_or(48),
            opt.channels,
            // Copies of one image: as many as the built-in budget holds (at most 512).
            opt.count
                .min(512)
                .min((BUILTIN_BUDGET_BYTES / (size_of_single(opt) * 4)).max(1)),
        )?,
    };
    if ds.h % 4 != 0 || ds.w % 4 != 0 {
        bail!(
            "{}: image size {}x{} is not a multiple of 4, which the U-Net's two 2x poolings need; pass --image-size with a multiple of 4 (e.g. {})",
            ds.description,
            ds.h,
            ds.w,
            (ds.h / 4).max(1) * 4
        );
    }
    if ds.is_empty() {
        bail!("the dataset {} holds no images", ds.description);
    }
    Ok(ds)
}

/// Refuse `n` images of `c x size x size` f32 values when they would take more than half the
/// memory available now, before any is decoded (`what` names the source).
pub(crate) fn check_memory(what: &str, n: usize, c: usize, size: usize) -> Result<()> {
    let need = (n as u64) * (c * size * size * 4) as u64;
    if let Some(avail) = crate::util::host_memory::available_bytes().filter(|a| need > *a / 2) {
        bail!(
            "{what}: {n} images at {size}x{size}x{c} would take {} MiB in memory but {} MiB is available (at most half is used for data); pass a smaller --image-size or use fewer images",
            need >> 20,
            avail >> 20
        );
    }
    Ok(())
}

/// Values in one single-image copy: channels x size x size (size default 48).
#[cfg(not(target_arch = "wasm32"))]
fn size_of_single(opt: &LoadOptions) -> usize {
    let s = opt.size.unwrap_or(48);
    opt.channels.max(1) * s * s
}

/// Nearest-neighbour-free box/bilinear resize of one channel plane, used by IDX and images.
pub fn resize_plane(src: &[f32], sh: usize, sw: usize, dh: usize, dw: usize) -> Vec<f32> {
    if sh == dh && sw == dw {
        return src.to_vec();
    }
    let mut out = vec![0.0; dh * dw];
    for y in 0..dh {
        let fy = ((y as f32 + 0.5) * sh as f32 / dh as f32 - 0.5).clamp(0.0, (sh - 1) as f32);
        let (y0, ly) = (fy.floor() as usize, fy - fy.floor());
        let y1 = (y0 + 1).min(sh - 1);
        for x in 0..dw {
            let fx = ((x as f32 + 0.5) * sw as f32 / dw as f32 - 0.5).clamp(0.0, (sw - 1) as f32);
            let (x0, lx) = (fx.floor() as usize, fx - fx.floor());
            let x1 = (x0 + 1).min(sw - 1);
            let a = src[y0 * sw + x0] * (1.0 - lx) + src[y0 * sw + x1] * lx;
            let b = src[y1 * sw + x0] * (1.0 - lx) + src[y1 * sw + x1] * lx;
            out[y * dw + x] = a * (1.0 - ly) + b * ly;
        }
    }
    out
}

pub(crate) fn read_file(path: &str, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("could not read {what} '{path}'"))
}
