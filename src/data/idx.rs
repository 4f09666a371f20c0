//! MNIST-style IDX files (magic 0x00000803 images, 0x00000801 labels), gzip or raw.

use std::io::Read;

use anyhow::{bail, Result};

use super::{read_file, resize_plane, Dataset};

const IMAGES_MAGIC: u32 = 0x0803;
const LABELS_MAGIC: u32 = 0x0801;
/// No real IDX image set comes near this; it bounds what a corrupt size field can allocate.
const MAX_ELEMENTS: u64 = 1 << 31;

fn decompress(path: &str, bytes: Vec<u8>) -> Result<Vec<u8>> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        let mut dec = flate2::read::GzDecoder::new(&bytes[..]).take(MAX_ELEMENTS + 64);
        if let Err(e) = dec.read_to_end(&mut out) {
            bail!("'{path}' looks gzip-compressed but could not be decompressed ({e}); the file is probably truncated or corrupt");
        }
        Ok(out)
    } else {
        Ok(bytes)
    }
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Parse IDX image bytes: returns (count, rows, cols, pixels as u8).
pub fn parse_images(path: &str, bytes: &[u8]) -> Result<(usize, usize, usize, Vec<u8>)> {
    if bytes.len() < 16 {
        bail!(
            "'{path}' is too short ({} bytes) to be an IDX image file (needs a 16-byte header)",
            bytes.len()
        );
    }
    let magic = be32(bytes, 0);
    if magic != IMAGES_MAGIC {
        bail!(
            "'{path}' is not an IDX image file: magic number 0x{magic:08x}, expected 0x{IMAGES_MAGIC:08x} (unsigned bytes, 3 dimensions){}",
            if magic == LABELS_MAGIC { "; this looks like a label file" } else { "" }
        );
    }
    let (n, rows, cols) = (
        be32(bytes, 4) as u64,
        be32(bytes, 8) as u64,
        be32(bytes, 12) as u64,
    );
    let need = n
        .checked_mul(rows)
        .and_then(|v| v.checked_mul(cols))
        .filter(|v| *v <= MAX_ELEMENTS);
    let Some(need) = need else {
        bail!("'{path}': header claims {n} images of {rows}x{cols}, which is implausibly large; the file is corrupt");
    };
    let have = bytes.len() as u64 - 16;
    if have < need {
        bail!("'{path}' is truncated: header says {n} images of {rows}x{cols} ({need} bytes) but only {have} bytes follow");
    }
    if rows == 0 || cols == 0 || n == 0 {
        bail!("'{path}' holds no pixels ({n} images of {rows}x{cols})");
    }
    Ok((
        n as usize,
        rows as usize,
        cols as usize,
        bytes[16..16 + need as usize].to_vec(),
    ))
}

pub fn parse_labels(path: &str, bytes: &[u8]) -> Result<Vec<u32>> {
    if bytes.len() < 8 {
        bail!(
            "'{path}' is too short ({} bytes) to be an IDX label file (needs an 8-byte header)",
            bytes.len()
        );
    }
    let magic = be32(bytes, 0);
    if magic != LABELS_MAGIC {
        bail!("'{path}' is not an IDX label file: magic number 0x{magic:08x}, expected 0x{LABELS_MAGIC:08x}");
    }
    let n = be32(bytes, 4) as usize;
    if bytes.len() - 8 < n {
        bail!(
            "'{path}' is truncated: header says {n} labels but only {} bytes follow",
            bytes.len() - 8
        );
    }
    Ok(bytes[8..8 + n].iter().map(|&b| b as u32).collect())
}

/// The label file that usually sits beside an image file (t10k-images -> t10k-labels).
fn sibling_labels(path: &str) -> Option<String> {
    let cand = path
        .replace("images-idx3", "labels-idx1")
        .replace("images.idx3", "labels.idx1");
    (cand != path && std::path::Path::new(&cand).exists()).then_some(cand)
}

pub fn load_images_with_labels(
    path: &str,
    labels: Option<&str>,
    size: Option<usize>,
) -> Result<Dataset> {
    let bytes = read_file(path, "IDX image file")?;
    let label_path = labels.map(str::to_string).or_else(|| sibling_labels(path));
    let label_bytes = match &label_path {
        Some(lp) => Some((lp.as_str(), read_file(lp, "IDX label file")?)),
        None => None,
    };
    decode(path, bytes, label_bytes, size)
}

/// An IDX dataset from the bytes of its image file (read from `path`) and, when given, of
/// its label file (with the label file's path), each gzip or raw, resized to `size`.
pub fn decode(
    path: &str,
    bytes: Vec<u8>,
    label_bytes: Option<(&str, Vec<u8>)>,
    size: Option<usize>,
) -> Result<Dataset> {
    let bytes = decompress(path, bytes)?;
    let (n, rows, cols, raw) = parse_images(path, &bytes)?;
    let (h, w) = size.map_or((rows, cols), |s| (s, s));
    super::check_memory(&format!("IDX '{path}'"), n, 1, h.max(w))?;
    let mut pixels = Vec::with_capacity(n * h * w);
    for i in 0..n {
        let plane: Vec<f32> = raw[i * rows * cols..(i + 1) * rows * cols]
            .iter()
            .map(|&b| b as f32 / 127.5 - 1.0)
            .collect();
        pixels.extend(resize_plane(&plane, rows, cols, h, w));
    }
    let labels = match label_bytes {
        Some((lp, lb)) => {
            let l = parse_labels(lp, &decompress(lp, lb)?)?;
            if l.len() != n {
                bail!("label file '{lp}' has {} labels but image file '{path}' has {n} images; they must match", l.len());
            }
            Some(l)
        }
        None => None,
    };
    let num_classes = labels
        .as_ref()
        .map_or(0, |l| l.iter().max().map_or(0, |m| *m as usize + 1));
    Ok(Dataset {
        c: 1,
        h,
        w,
        pixels,
        labels,
        num_classes,
        description: format!("IDX '{path}' ({n} images, {rows}x{cols} -> {h}x{w})"),
    })
}
