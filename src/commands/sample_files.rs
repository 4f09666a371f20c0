//! `sample --out-dir DIR` and `--npy FILE`: every image as its own file for FID tools
//! (pytorch-fid and clean-fid read a folder of PNGs), written batch by batch as the images
//! are drawn. Pixels are quantised as in the sample grids: round((clamp(x, -1, 1) + 1) *
//! 127.5), so the PNGs, the .npy and the grid hold the same bytes.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// Where the images go, checked before anything is drawn.
pub struct ImageFiles {
    dir: Option<PathBuf>,
    npy: Option<Npy>,
    c: usize,
    side: usize,
}

/// The name of image `i` in `--out-dir`.
pub fn png_name(i: usize) -> String {
    format!("{i:06}.png")
}

/// The uint8 value of a pixel in [-1, 1].
fn quantise(v: f32) -> u8 {
    ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8
}

impl ImageFiles {
    /// Refuses a non-empty `dir` or an existing `npy` file unless `overwrite`: what the user
    /// saved there is never replaced by accident. With `overwrite`, only the names this
    /// writes (000000.png .. and the .npy) are replaced; other files in `dir` stay.
    pub fn create(
        dir: Option<&Path>,
        npy: Option<&Path>,
        overwrite: bool,
        count: usize,
        c: usize,
        side: usize,
    ) -> Result<ImageFiles> {
        if let Some(d) = dir {
            let others = match std::fs::read_dir(d) {
                Ok(entries) => entries.count(),
                Err(_) => 0,
            };
            if others > 0 && !overwrite {
                bail!(
                    "--out-dir {} is not empty ({others} entries): pass an empty or new folder, or --overwrite to replace the numbered PNGs there",
                    d.display()
                );
            }
            std::fs::create_dir_all(d)
                .with_context(|| format!("could not create --out-dir {}", d.display()))?;
            if others > 0 {
                eprintln!(
                    "note: --out-dir {} already held {others} entries; files not named 000000.png .. {} stay and FID tools would read them too",
                    d.display(),
                    png_name(count.saturating_sub(1))
                );
            }
        }
        let npy = match npy {
            Some(p) if p.exists() && !overwrite => bail!(
                "--npy {} exists: pass another file name, or --overwrite to replace it",
                p.display()
            ),
            Some(p) => Some(Npy::create(p, &[count, side, side, c])?),
            None => None,
        };
        Ok(ImageFiles {
            dir: dir.map(Path::to_path_buf),
            npy,
            c,
            side,
        })
    }

    /// Write images `first..` (each c*h*w in [-1, 1], packed in `images`).
    pub fn write(&mut self, first: usize, images: &[f32]) -> Result<()> {
        let (c, side) = (self.c, self.side);
        let chw = c * side * side;
        for (k, img) in images.chunks(chw).enumerate() {
            // Channel-last bytes: the PNG's and the .npy's layout.
            let hwc: Vec<u8> = (0..side * side)
                .flat_map(|p| (0..c).map(move |ch| quantise(img[ch * side * side + p])))
                .collect();
            if let Some(d) = &self.dir {
                let color = if c == 1 {
                    image::ExtendedColorType::L8
                } else {
                    image::ExtendedColorType::Rgb8
                };
                let mut bytes = Vec::new();
                image::ImageEncoder::write_image(
                    image::codecs::png::PngEncoder::new(&mut bytes),
                    &hwc,
                    side as u32,
                    side as u32,
                    color,
                )?;
                let path = d.join(png_name(first + k));
                crate::checkpoint::write_atomic(&path, &bytes)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            if let Some(n) = &mut self.npy {
                n.append(&hwc)?;
            }
        }
        Ok(())
    }

    /// Move the finished .npy into place.
    pub fn finish(self) -> Result<()> {
        match self.npy {
            Some(n) => n.finish(),
            None => Ok(()),
        }
    }
}

/// A uint8 .npy file (format version 1.0) written to a temporary name beside its path and
/// renamed when complete, so a failed or interrupted run leaves no truncated file under the
/// name (the temporary file is removed on an error; a killed process may leave it).
struct Npy {
    path: PathBuf,
    tmp: PathBuf,
    file: std::io::BufWriter<std::fs::File>,
    left: usize,
}

/// The .npy header for a C-order uint8 array of `shape`, padded so the data starts at a
/// multiple of 64 bytes as the format asks.
pub fn npy_header(shape: &[usize]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let mut dict = format!(
        "{{'descr': '|u1', 'fortran_order': False, 'shape': ({}{}), }}",
        dims.join(", "),
        if shape.len() == 1 { "," } else { "" }
    );
    let unpadded = 6 + 2 + 2 + dict.len() + 1;
    dict.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    dict.push('\n');
    let mut h = b"\x93NUMPY\x01\x00".to_vec();
    h.extend((dict.len() as u16).to_le_bytes());
    h.extend(dict.as_bytes());
    h
}

impl Npy {
    fn create(path: &Path, shape: &[usize]) -> Result<Npy> {
        let name = path.file_name().context("--npy needs a file name")?;
        let tmp = path.with_file_name(format!(".{}.partial", name.to_string_lossy()));
        let f = std::fs::File::create(&tmp)
            .with_context(|| format!("could not create --npy {}", path.display()))?;
        let mut file = std::io::BufWriter::new(f);
        file.write_all(&npy_header(shape))?;
        Ok(Npy {
            path: path.to_path_buf(),
            tmp,
            file,
            left: shape.iter().product(),
        })
    }

    fn append(&mut self, bytes: &[u8]) -> Result<()> {
        self.left = self
            .left
            .checked_sub(bytes.len())
            .context("more images than the .npy header holds")?;
        self.file.write_all(bytes)?;
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        if self.left != 0 {
            bail!("the .npy is {} bytes short", self.left);
        }
        self.file.flush()?;
        self.file.get_ref().sync_all()?;
        std::fs::rename(&self.tmp, &self.path)
            .with_context(|| format!("writing --npy {}", self.path.display()))
    }
}

impl Drop for Npy {
    fn drop(&mut self) {
        // After `finish` renamed it this finds nothing; after an error it removes the part.
        let _ = std::fs::remove_file(&self.tmp);
    }
}
