//! What the page trains on: the built-in shapes, or files dropped on it (a folder of images,
//! a zip of them, an MNIST IDX file). Zips are opened here, so the native build never links
//! the zip crate; everything else is `wgpu_ddpm::data::dropped`, the CLI's decoders.

use std::io::Read;
use std::rc::Rc;

use anyhow::{anyhow, Context, Result};
use wasm_bindgen::prelude::*;
use wgpu_ddpm::data::{builtin, dropped, Dataset};

/// A dataset for a training run, with what loading it had to say.
#[wasm_bindgen]
pub struct Data {
    pub(crate) ds: Rc<Dataset>,
    notes: Vec<String>,
}

/// The most a zip may expand to: more than any image set the page can hold, and a bound on
/// what a zip bomb can ask for.
const MAX_UNZIPPED: u64 = 1 << 30;

/// The entries of a zip as (name, bytes), named under the zip's own name. macOS's resource
/// forks (`__MACOSX/`, `._name`) are left out: they carry image names but no images.
fn unzip(name: &str, bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).with_context(|| {
        format!("'{name}' is not a readable zip file; re-create it, or drop the folder itself")
    })?;
    let mut out = Vec::new();
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .with_context(|| format!("'{name}': entry {i} is unreadable"))?;
        let inner = (entry.name())
            .with_context(|| format!("'{name}': entry {i} has an unreadable name"))?
            .to_string();
        let base = inner.rsplit('/').next().unwrap_or("");
        if entry.is_dir() || inner.starts_with("__MACOSX/") || base.starts_with("._") {
            continue;
        }
        let mut buf = Vec::new();
        (&mut entry)
            .take(MAX_UNZIPPED - total + 1)
            .read_to_end(&mut buf)
            .with_context(|| format!("'{name}': could not unpack '{inner}' (a compression this page does not read, or a damaged zip); zip it again with plain deflate"))?;
        total += buf.len() as u64;
        if total > MAX_UNZIPPED {
            return Err(anyhow!(
                "'{name}' unpacks to more than {} MiB; drop fewer images",
                MAX_UNZIPPED >> 20
            ));
        }
        out.push((format!("{name}/{inner}"), buf));
    }
    Ok(out)
}

fn is_zip(name: &str, bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || name.to_ascii_lowercase().ends_with(".zip")
}

#[wasm_bindgen]
impl Data {
    /// The built-in shapes as the native CLI makes them for `--data builtin --image-size size`
    /// (same count and seed), so `wgpu-ddpm eval` scores the same images.
    pub fn builtin(size: u32) -> Data {
        let size = size as usize;
        let fit = (wgpu_ddpm::data::BUILTIN_BUDGET_BYTES / (size * size * 4)).max(1);
        Data {
            ds: Rc::new(builtin::generate(size, fit.min(10_000), 0)),
            notes: Vec::new(),
        }
    }

    /// Dropped files: `names[i]` (a path inside the dropped folder, or a file name) holds
    /// `bytes[i]` (a Uint8Array); `what` names the drop in messages ("the folder 'cats'").
    /// Zips are unpacked; images are resized to `size` in grey (`channels` 1) or RGB (3).
    #[wasm_bindgen(js_name = fromFiles)]
    pub fn from_files(
        what: &str,
        names: js_sys::Array,
        bytes: js_sys::Array,
        size: u32,
        channels: u32,
    ) -> Result<Data, JsValue> {
        let mut files = Vec::new();
        for (name, b) in names.iter().zip(bytes.iter()) {
            let name = name.as_string().unwrap_or_default();
            let b = js_sys::Uint8Array::new(&b).to_vec();
            if is_zip(&name, &b) {
                files.extend(unzip(&name, &b).map_err(crate::err)?);
            } else {
                files.push((name, b));
            }
        }
        let (ds, notes) =
            dropped::load(what, &files, size as usize, channels as usize).map_err(crate::err)?;
        Ok(Data {
            ds: Rc::new(ds),
            notes,
        })
    }

    #[wasm_bindgen(getter)]
    pub fn count(&self) -> u32 {
        self.ds.len() as u32
    }

    #[wasm_bindgen(getter)]
    pub fn size(&self) -> u32 {
        self.ds.h as u32
    }

    #[wasm_bindgen(getter)]
    pub fn channels(&self) -> u32 {
        self.ds.c as u32
    }

    #[wasm_bindgen(getter)]
    pub fn description(&self) -> String {
        self.ds.description.clone()
    }

    /// What was skipped or changed while loading, one note per line.
    #[wasm_bindgen(getter)]
    pub fn notes(&self) -> String {
        self.notes.join("\n")
    }

    /// The first `n` images (channels x size x size each, in [-1, 1]).
    pub fn images(&self, n: u32) -> js_sys::Float32Array {
        let n = (n as usize).min(self.ds.len());
        js_sys::Float32Array::from(&self.ds.pixels[..n * self.ds.chw()])
    }
}
