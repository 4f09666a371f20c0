//! Checkpoints: one `.safetensors` file (docs/design.md section 5). Model tensors under the PyTorch
//! `state_dict` names, plus `optim.<name>.exp_avg|exp_avg_sq` and `ema.<name>` in training
//! checkpoints; step, RNG state and config live in the metadata. Writes are atomic.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};
use safetensors::{Dtype, SafeTensors};

use crate::kernels::prediction::Prediction;

pub const FORMAT_VERSION: &str = "1";

/// An in-memory checkpoint: f32 tensors by name, i64 scalars (BatchNorm's
/// `num_batches_tracked`) by name, and string metadata.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checkpoint {
    pub tensors: BTreeMap<String, (Vec<usize>, Vec<f32>)>,
    pub counters: BTreeMap<String, i64>,
    pub metadata: HashMap<String, String>,
}

impl Checkpoint {
    pub fn insert(&mut self, name: &str, shape: &[usize], data: Vec<f32>) {
        assert_eq!(
            shape.iter().product::<usize>(),
            data.len(),
            "checkpoint tensor {name}: shape/data mismatch"
        );
        self.tensors
            .insert(name.to_string(), (shape.to_vec(), data));
    }

    /// The tensor `name` with exactly `shape`, or an error naming both shapes.
    pub fn get(&self, name: &str, shape: &[usize]) -> Result<&[f32]> {
        let Some((s, d)) = self.tensors.get(name) else {
            bail!("checkpoint has no tensor '{name}' (expected shape {shape:?}); was it saved by a different network?");
        };
        if s != shape {
            bail!(
                "checkpoint tensor '{name}' has shape {s:?} but this network needs {shape:?}; the checkpoint was made with a different configuration (channels, image channels or time-embedding size)"
            );
        }
        Ok(d)
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let counters: Vec<(String, [u8; 8])> = self
            .counters
            .iter()
            .map(|(k, v)| (k.clone(), v.to_le_bytes()))
            .collect();
        let mut views: Vec<(String, safetensors::tensor::TensorView)> = Vec::new();
        for (name, (shape, data)) in &self.tensors {
            views.push((
                name.clone(),
                safetensors::tensor::TensorView::new(
                    Dtype::F32,
                    shape.clone(),
                    bytemuck::cast_slice(data),
                )?,
            ));
        }
        for (name, bytes) in &counters {
            views.push((
                name.clone(),
                safetensors::tensor::TensorView::new(Dtype::I64, vec![], bytes)?,
            ));
        }
        let meta = if self.metadata.is_empty() {
            None
        } else {
            Some(self.metadata.clone())
        };
        Ok(safetensors::serialize(views, meta)?)
    }

    pub fn from_bytes(bytes: &[u8], path: &str) -> Result<Checkpoint> {
        let st = SafeTensors::deserialize(bytes).map_err(|e| {
            anyhow::anyhow!("'{path}' is not a readable safetensors checkpoint ({e}); the file may be truncated or corrupt")
        })?;
        let (_, meta) = SafeTensors::read_metadata(bytes)?;
        let mut ck = Checkpoint {
            metadata: meta.metadata().clone().unwrap_or_default(),
            ..Default::default()
        };
        for (name, view) in st.iter() {
            match view.dtype() {
                Dtype::F32 => {
                    let data: Vec<f32> = view
                        .data()
                        .chunks_exact(4)
                        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                        .collect();
                    ck.tensors.insert(name.to_string(), (view.shape().to_vec(), data));
                }
                Dtype::I64 if view.data().len() == 8 => {
                    let v = i64::from_le_bytes(view.data().try_into().unwrap());
                    ck.counters.insert(name.to_string(), v);
                }
                other => bail!("'{path}': tensor '{name}' has dtype {other:?}; only F32 tensors and I64 scalars are supported"),
            }
        }
        Ok(ck)
    }

    pub fn load(path: &Path) -> Result<Checkpoint> {
        let p = path.display().to_string();
        let bytes =
            std::fs::read(path).with_context(|| format!("could not read checkpoint '{p}'"))?;
        let ck = Self::from_bytes(&bytes, &p)?;
        ck.check_finite(&p)?;
        Ok(ck)
    }

    /// What the network's output means: the metadata's `prediction`, else the one in its
    /// `train_config`, else eps (checkpoints from before the setting, and PyTorch
    /// state_dicts, predict the noise). An unknown name is an error naming `path`.
    pub fn prediction(&self, path: &str) -> Result<Prediction> {
        let in_config = || {
            let cfg: serde_json::Value =
                serde_json::from_str(self.metadata.get("train_config")?).ok()?;
            cfg.get("prediction")?.as_str().map(str::to_string)
        };
        match self.metadata.get("prediction").cloned().or_else(in_config) {
            None => Ok(Prediction::Eps),
            Some(s) => s.parse().map_err(|e| {
                anyhow::anyhow!("checkpoint '{path}': metadata 'prediction': {e}; the file is damaged or from a newer wgpu-ddpm")
            }),
        }
    }

    /// Refuse weights holding NaN or Inf: they would sample a saturated image or score a
    /// meaningless loss without a word. Names the file, the tensor and the first bad index.
    pub fn check_finite(&self, path: &str) -> Result<()> {
        for (name, (_, data)) in &self.tensors {
            if let Some((i, v)) = data.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                bail!(
                    "checkpoint '{path}': tensor '{name}' holds {v} at index {i}; the weights are not usable (the run that wrote them probably diverged). Use an earlier checkpoint, or retrain with a lower --lr or --grad-clip"
                );
            }
        }
        Ok(())
    }

    /// Write to a temporary file beside `path`, fsync it, then rename over `path`: a crash or
    /// a full disk leaves the previous checkpoint intact.
    pub fn save(&self, path: &Path) -> Result<()> {
        let bytes = self.to_bytes()?;
        write_atomic(path, &bytes)
    }
}

pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .with_context(|| format!("could not create folder '{}'", dir.display()))?;
    let name = path
        .file_name()
        .context("checkpoint path has no file name")?
        .to_string_lossy();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| {
            format!(
                "could not write '{}' (the previous file, if any, is unchanged)",
                path.display()
            )
        });
    }
    Ok(())
}
