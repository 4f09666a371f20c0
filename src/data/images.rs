//! Image files: a folder (one subfolder per class gives labels) or a single image; the
//! decoding (`decode`, `to_planes`) also serves files handed over as bytes (`dropped`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::Dataset;

/// The most the resize may hold at once: the image crate's own default decoding limit.
const MAX_RESIZE_BYTES: u64 = 512 << 20;

pub(crate) fn to_planes(
    img: &image::DynamicImage,
    size: usize,
    channels: usize,
) -> Result<Vec<f32>> {
    // The resize first makes a (width x size) image of four f32 per pixel: a decodable
    // one-row image millions of pixels wide would ask for hundreds of gigabytes.
    let (w, h) = (img.width(), img.height());
    let need = w as u64 * size as u64 * 16;
    if need > MAX_RESIZE_BYTES {
        bail!(
            "the image is {w}x{h} pixels; resizing it to {size}x{size} would take {} MiB (at most {} MiB): make it smaller first",
            need >> 20,
            MAX_RESIZE_BYTES >> 20
        );
    }
    let resized = img.resize_exact(
        size as u32,
        size as u32,
        image::imageops::FilterType::Triangle,
    );
    let mut out = vec![0.0; channels * size * size];
    if channels == 1 {
        for (i, p) in resized.to_luma8().pixels().enumerate() {
            out[i] = p[0] as f32 / 127.5 - 1.0;
        }
    } else {
        for (i, p) in resized.to_rgb8().pixels().enumerate() {
            for c in 0..3 {
                out[c * size * size + i] = p[c] as f32 / 127.5 - 1.0;
            }
        }
    }
    Ok(out)
}

fn open(path: &Path) -> Result<image::DynamicImage> {
    let what = || {
        format!(
            "could not read image '{}' (expected a readable PNG or JPEG file)",
            path.display()
        )
    };
    let bytes = std::fs::read(path).with_context(what)?;
    decode(&bytes, image::ImageFormat::from_path(path).ok()).with_context(what)
}

/// Decode image bytes as `format` (what the file's extension names; guessed from the bytes
/// when `None`), within the image crate's default memory limits, as `image::open` does.
pub fn decode(
    bytes: &[u8],
    format: Option<image::ImageFormat>,
) -> image::ImageResult<image::DynamicImage> {
    let bytes = std::io::Cursor::new(bytes);
    match format {
        Some(f) => image::ImageReader::with_format(bytes, f).decode(),
        None => image::ImageReader::new(bytes)
            .with_guessed_format()?
            .decode(),
    }
}

/// One decoded image as `channels` planes of `size x size` in [-1, 1] (the training data's
/// layout): the image bytes' whole path from file contents to pixels, without a file.
pub fn planes(
    bytes: &[u8],
    format: Option<image::ImageFormat>,
    size: usize,
    channels: usize,
) -> Result<Vec<f32>> {
    to_planes(&decode(bytes, format)?, size, channels)
}

fn is_image(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("could not list folder '{}'", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    v.sort();
    Ok(v)
}

pub fn load_folder(path: &str, size: usize, channels: usize) -> Result<Dataset> {
    if channels != 1 && channels != 3 {
        bail!("--channels must be 1 (gray) or 3 (RGB), got {channels}");
    }
    let root = Path::new(path);
    let entries = sorted_entries(root)?;
    let class_dirs: Vec<&PathBuf> = entries.iter().filter(|p| p.is_dir()).collect();
    // (file, label) for every image, listed before any is decoded.
    let mut files: Vec<(PathBuf, u32)> = Vec::new();
    if class_dirs.is_empty() {
        files.extend(
            entries
                .iter()
                .filter(|p| is_image(p))
                .map(|p| (p.clone(), 0)),
        );
    } else {
        for (class, dir) in class_dirs.iter().enumerate() {
            let before = files.len();
            files.extend(
                sorted_entries(dir)?
                    .into_iter()
                    .filter(|p| is_image(p))
                    .map(|p| (p, class as u32)),
            );
            if files.len() == before {
                bail!(
                    "class folder '{}' holds no PNG or JPEG images; remove it or add images",
                    dir.display()
                );
            }
        }
    }
    let n = files.len();
    if n == 0 {
        bail!("folder '{path}' holds no PNG or JPEG images");
    }
    super::check_memory(&format!("folder '{path}'"), n, channels, size)?;
    let mut pixels = Vec::with_capacity(n * channels * size * size);
    let mut labels = Vec::with_capacity(n);
    for (p, label) in &files {
        pixels.extend(
            to_planes(&open(p)?, size, channels)
                .with_context(|| format!("image '{}'", p.display()))?,
        );
        labels.push(*label);
    }
    let num_classes = class_dirs.len();
    Ok(Dataset {
        c: channels,
        h: size,
        w: size,
        pixels,
        labels: (num_classes > 0).then_some(labels),
        num_classes,
        description: format!("folder '{path}' ({n} images, {size}x{size}x{channels})"),
    })
}

pub fn load_single(path: &str, size: usize, channels: usize, repeat: usize) -> Result<Dataset> {
    if channels != 1 && channels != 3 {
        bail!("--channels must be 1 (gray) or 3 (RGB), got {channels}");
    }
    let one = to_planes(&open(Path::new(path))?, size, channels)
        .with_context(|| format!("image '{path}'"))?;
    let repeat = repeat.max(1);
    Ok(Dataset {
        c: channels,
        h: size,
        w: size,
        pixels: one.repeat(repeat),
        labels: None,
        num_classes: 0,
        description: format!("single image '{path}' ({size}x{size}x{channels})"),
    })
}
