//! Files a person hands over as bytes rather than paths (the browser page's drop: a folder of
//! images, the entries of a zip, an MNIST IDX file): the same decoders as `--data` (images
//! through `images::decode` and `images::to_planes`, IDX through `idx::decode`), bytes in, a
//! dataset and notes on what was skipped or changed out.

use anyhow::{bail, Context, Result};

use super::{idx, images, Dataset};

/// What a file's bytes hold.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Image,
    IdxImages,
    IdxLabels,
    Other,
}

fn kind(name: &str, bytes: &[u8]) -> Kind {
    let lower = name.to_ascii_lowercase();
    if [".png", ".jpg", ".jpeg"].iter().any(|e| lower.ends_with(e)) {
        return Kind::Image;
    }
    // IDX files are known by their magic number (after gzip, which MNIST's downloads use).
    let magic = |b: &[u8]| b.len() >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 8;
    let head = if bytes.starts_with(&[0x1f, 0x8b]) {
        use std::io::Read;
        let mut head = Vec::new();
        let _ = flate2::read::GzDecoder::new(bytes)
            .take(4)
            .read_to_end(&mut head);
        head
    } else {
        bytes[..bytes.len().min(4)].to_vec()
    };
    match (magic(&head), head.get(3)) {
        (true, Some(3)) => Kind::IdxImages,
        (true, Some(1)) => Kind::IdxLabels,
        _ => Kind::Other,
    }
}

fn names<'a>(files: &[(&'a str, &[u8])]) -> Vec<&'a str> {
    files.iter().map(|f| f.0).collect()
}

/// A few names of a list, for a message.
fn some(names: &[&str]) -> String {
    let mut s = names.iter().take(3).copied().collect::<Vec<_>>().join(", ");
    if names.len() > 3 {
        s += &format!(" and {} more", names.len() - 3);
    }
    s
}

/// The dataset in `files` (name, bytes), which `what` describes ("the folder 'cats'", "the
/// zip 'x.zip'"): every PNG/JPEG image as `channels` planes of `size x size` (resized and
/// made grey or RGB as `--data FOLDER` does), or the one IDX image file resized to `size`.
/// Returns the dataset and notes for the person: files skipped, sizes changed.
pub fn load(
    what: &str,
    files: &[(String, Vec<u8>)],
    size: usize,
    channels: usize,
) -> Result<(Dataset, Vec<String>)> {
    if channels != 1 && channels != 3 {
        bail!("channels must be 1 (grey) or 3 (RGB), got {channels}");
    }
    if size == 0 || !size.is_multiple_of(4) {
        bail!(
            "image size {size}: it must be a positive multiple of 4 (the U-Net pools twice by 2)"
        );
    }
    if files.is_empty() {
        bail!("{what} is empty: drop a folder of PNG or JPEG images, a zip of them, or an MNIST IDX file (raw or .gz)");
    }
    let mut sorted: Vec<(&str, &[u8], Kind)> = (files.iter())
        .map(|(n, b)| (n.as_str(), b.as_slice(), kind(n, b)))
        .collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let of = |k: Kind| -> Vec<(&str, &[u8])> {
        (sorted.iter().filter(|f| f.2 == k))
            .map(|f| (f.0, f.1))
            .collect()
    };
    let (imgs, idxs, labels, other) = (
        of(Kind::Image),
        of(Kind::IdxImages),
        of(Kind::IdxLabels),
        of(Kind::Other),
    );
    let mut notes = Vec::new();
    if !other.is_empty() {
        notes.push(format!(
            "skipped {} file(s) that are neither PNG/JPEG images nor IDX files: {} (convert them to PNG to train on them)",
            other.len(),
            some(&names(&other))
        ));
    }
    if !labels.is_empty() {
        notes.push(format!(
            "ignored the IDX label file(s) {}: the page trains without classes",
            some(&names(&labels))
        ));
    }
    match (imgs.is_empty(), idxs.len()) {
        (true, 0) => bail!(
            "{what} holds no PNG or JPEG images and no IDX image file{}: drop a folder or zip of PNG/JPEG images, or an MNIST IDX file such as train-images-idx3-ubyte.gz",
            if other.is_empty() && labels.is_empty() {
                String::new()
            } else {
                format!(" (found {})", some(&names(&[other, labels].concat())))
            }
        ),
        (true, 1) => {
            let (name, bytes) = idxs[0];
            let ds = idx::decode(name, bytes.to_vec(), None, Some(size))?;
            if channels == 3 {
                notes.push("IDX images are grey: trained with one channel".into());
            }
            Ok((ds, notes))
        }
        (true, _) => bail!(
            "{what} holds {} IDX image files ({}): drop one at a time",
            idxs.len(),
            some(&names(&idxs))
        ),
        (false, 0) => from_images(what, &imgs, size, channels, notes),
        (false, _) => bail!(
            "{what} mixes images and IDX files ({} and {}): drop the images or the IDX file, not both",
            imgs[0].0,
            idxs[0].0
        ),
    }
}

fn from_images(
    what: &str,
    imgs: &[(&str, &[u8])],
    size: usize,
    channels: usize,
    mut notes: Vec<String>,
) -> Result<(Dataset, Vec<String>)> {
    let n = imgs.len();
    super::check_memory(what, n, channels, size)?;
    let mut pixels = Vec::with_capacity(n * channels * size * size);
    let mut sizes: Vec<(u32, u32, &str)> = Vec::new();
    for (name, bytes) in imgs {
        let img = images::decode(bytes, None).with_context(|| {
            format!("could not read image '{name}' (expected a PNG or JPEG file); remove it or convert it")
        })?;
        let dims = (img.width(), img.height());
        if !sizes.iter().any(|s| (s.0, s.1) == dims) {
            sizes.push((dims.0, dims.1, name));
        }
        pixels.extend(
            images::to_planes(&img, size, channels).with_context(|| format!("image '{name}'"))?,
        );
    }
    let shown = |s: &(u32, u32, &str)| format!("{} {}x{}", s.2, s.0, s.1);
    if sizes.len() > 1 {
        notes.push(format!(
            "the images have {} different sizes ({}): each was resized to {size}x{size}, as the CLI's --data does; crop them alike first to avoid stretching",
            sizes.len(),
            sizes.iter().take(3).map(shown).collect::<Vec<_>>().join(", ")
        ));
    } else if (sizes[0].0, sizes[0].1) != (size as u32, size as u32) {
        notes.push(format!(
            "resized from {}x{} to {size}x{size}",
            sizes[0].0, sizes[0].1
        ));
    }
    Ok((
        Dataset {
            c: channels,
            h: size,
            w: size,
            pixels,
            labels: None,
            num_classes: 0,
            description: format!("{what} ({n} images, {size}x{size}x{channels})"),
        },
        notes,
    ))
}
