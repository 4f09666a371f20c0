//! Moving a U-Net between GPU buffers and a `Checkpoint` under the PyTorch names.

use anyhow::{bail, Result};

use super::network::{Model, NetConfig, NetKind, NetLayout};
use crate::checkpoint::Checkpoint;
use crate::gpu::Gpu;
use crate::kernels::prediction::Prediction;

/// What the network of `ck` outputs: the metadata's `prediction`, else the one in its
/// `train_config`, else eps (checkpoints from before the setting, and PyTorch
/// state_dicts, predict the noise). An unknown name is an error naming `path`.
pub fn prediction_of(ck: &Checkpoint, path: &str) -> Result<Prediction> {
    let in_config = || {
        let cfg: serde_json::Value = serde_json::from_str(ck.metadata.get("train_config")?).ok()?;
        cfg.get("prediction")?.as_str().map(str::to_string)
    };
    match ck.metadata.get("prediction").cloned().or_else(in_config) {
        None => Ok(Prediction::Eps),
        Some(s) => s.parse().map_err(|e| {
            anyhow::anyhow!("checkpoint '{path}': metadata 'prediction': {e}; the file is damaged or from a newer wgpu-ddpm")
        }),
    }
}

impl Model {
    /// Model tensors (PyTorch names), and with `optim` the Adam moments as `optim.<name>.*`.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn to_checkpoint(&self, gpu: &Gpu, step: u64, optim: bool) -> Checkpoint {
        pollster::block_on(self.to_checkpoint_async(gpu, step, optim))
    }

    /// [`Model::to_checkpoint`] without blocking (the browser's path).
    pub async fn to_checkpoint_async(&self, gpu: &Gpu, step: u64, optim: bool) -> Checkpoint {
        let mut ck = Checkpoint::default();
        let params = gpu
            .read_async(&self.layout.params.whole(&self.params))
            .await;
        for (name, shape, data) in self.layout.params.split(&params) {
            ck.insert(&name, &shape, data);
        }
        let stats = gpu.read_async(&self.layout.stats.whole(&self.stats)).await;
        for (name, shape, data) in self.layout.stats.split(&stats) {
            ck.insert(&name, &shape, data);
        }
        for bn in &self.layout.bn_layers {
            ck.counters
                .insert(format!("{bn}.num_batches_tracked"), step as i64);
        }
        if optim {
            for (buf, suffix) in [(&self.adam_m, "exp_avg"), (&self.adam_v, "exp_avg_sq")] {
                let flat = gpu.read_async(&self.layout.params.whole(buf)).await;
                for (name, shape, data) in self.layout.params.split(&flat) {
                    ck.insert(&format!("optim.{name}.{suffix}"), &shape, data);
                }
            }
        }
        if let Some((ep, es)) = &self.ema {
            for (layout, buf) in [(&self.layout.params, ep), (&self.layout.stats, es)] {
                let flat = gpu.read_async(&layout.whole(buf)).await;
                for (name, shape, data) in layout.split(&flat) {
                    ck.insert(&format!("ema.{name}"), &shape, data);
                }
            }
        }
        ck.metadata.insert(
            "format_version".into(),
            crate::checkpoint::FORMAT_VERSION.into(),
        );
        ck.metadata.insert("step".into(), step.to_string());
        ck.metadata
            .insert("network".into(), self.cfg.to_json().to_string());
        ck.metadata
            .insert("prediction".into(), self.prediction.name().into());
        ck
    }

    /// Load model tensors (and Adam moments when present and `optim`). Every tensor the
    /// network needs must be there with its exact shape; unknown model tensors are an error.
    pub fn load_checkpoint(&self, gpu: &Gpu, ck: &Checkpoint, optim: bool) -> Result<()> {
        check_names(ck, &self.layout)?;
        let p = self
            .layout
            .params
            .join(|e| Ok(ck.get(&e.name, &e.shape)?.to_vec()))?;
        let s = self
            .layout
            .stats
            .join(|e| Ok(ck.get(&e.name, &e.shape)?.to_vec()))?;
        gpu.write(&self.layout.params.whole(&self.params), &p);
        gpu.write(&self.layout.stats.whole(&self.stats), &s);
        if optim
            && ck.tensors.contains_key(&format!(
                "optim.{}.exp_avg",
                self.layout.params.entries[0].name
            ))
        {
            for (buf, suffix) in [(&self.adam_m, "exp_avg"), (&self.adam_v, "exp_avg_sq")] {
                let flat = self.layout.params.join(|e| {
                    Ok(ck
                        .get(&format!("optim.{}.{suffix}", e.name), &e.shape)?
                        .to_vec())
                })?;
                gpu.write(&self.layout.params.whole(buf), &flat);
            }
        }
        Ok(())
    }
}

impl Model {
    /// Restore the EMA buffers from `ema.*` (falling back to the model weights when the
    /// checkpoint was saved without EMA).
    pub fn load_ema(&self, gpu: &Gpu, ck: &Checkpoint) -> Result<()> {
        let Some((ep, es)) = &self.ema else {
            return Ok(());
        };
        let has = ck.tensors.keys().any(|k| k.starts_with("ema."));
        for (layout, buf) in [(&self.layout.params, ep), (&self.layout.stats, es)] {
            let flat = layout.join(|e| {
                let name = if has {
                    format!("ema.{}", e.name)
                } else {
                    e.name.clone()
                };
                Ok(ck.get(&name, &e.shape)?.to_vec())
            })?;
            gpu.write(&layout.whole(buf), &flat);
        }
        Ok(())
    }

    /// Use the EMA weights (`ema.*`) of a checkpoint as the model weights.
    pub fn load_ema_as_model(&self, gpu: &Gpu, ck: &Checkpoint) -> Result<()> {
        if !ck.tensors.keys().any(|k| k.starts_with("ema.")) {
            bail!(
                "--ema: this checkpoint has no EMA weights (train with --ema DECAY to keep them)"
            );
        }
        for (layout, buf) in [
            (&self.layout.params, &self.params),
            (&self.layout.stats, &self.stats),
        ] {
            let flat =
                layout.join(|e| Ok(ck.get(&format!("ema.{}", e.name), &e.shape)?.to_vec()))?;
            gpu.write(&layout.whole(buf), &flat);
        }
        Ok(())
    }
}

/// Every tensor of `ck` belongs to `layout` (directly, as `ema.<name>` or as
/// `optim.<name>.<moment>`).
fn check_names(ck: &Checkpoint, layout: &NetLayout) -> Result<()> {
    let known = |n: &str| {
        layout.params.entries.iter().any(|e| e.name == n)
            || layout.stats.entries.iter().any(|e| e.name == n)
    };
    for name in ck.tensors.keys() {
        let base = name
            .strip_prefix("optim.")
            .map(|s| s.rsplit_once('.').map_or(s, |p| p.0));
        let base = base.or_else(|| name.strip_prefix("ema."));
        if !known(base.unwrap_or(name)) {
            bail!("checkpoint tensor '{name}' is not part of this network (unknown name); the checkpoint comes from a different model");
        }
    }
    Ok(())
}

/// What `Model::load_checkpoint` (without `optim`) checks, made before a GPU exists: every
/// tensor of `ck` belongs to `cfg`'s network, and every model tensor is there with its
/// exact shape.
pub fn check_tensors(ck: &Checkpoint, cfg: &NetConfig) -> Result<()> {
    let layout = NetLayout::unaligned(cfg);
    check_names(ck, &layout)?;
    for e in layout.params.entries.iter().chain(&layout.stats.entries) {
        ck.get(&e.name, &e.shape)?;
    }
    Ok(())
}

/// The network configuration a checkpoint was made with: from its metadata when it has
/// ours, else inferred from tensor shapes (a PyTorch `state_dict` saved with safetensors):
/// the network from its first layer's name, the widths from the weights, T as the seed's
/// own, and the image size from `image_size` (it leaves no trace in the weights, except in
/// seed004's dense bottleneck).
pub fn config_of(ck: &Checkpoint, image_size: usize) -> Result<NetConfig> {
    if let Some(cfg) = ck
        .metadata
        .get("network")
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
        .and_then(|v| NetConfig::from_json(&v))
    {
        return Ok(cfg);
    }
    let has = |n: &str| ck.tensors.contains_key(n);
    let shape = |n: &str| -> Result<&Vec<usize>> {
        ck.tensors.get(n).map(|t| &t.0).ok_or_else(|| {
            anyhow::anyhow!("checkpoint has no tensor '{n}': it is not a seed U-Net state_dict, nor one of the other seed networks' (seed001..seed004: named stem.*, net.*, inc.* or down0.*)")
        })
    };
    let dim = |n: &str, i: usize| -> Result<usize> {
        let s = shape(n)?;
        s.get(i).copied().ok_or_else(|| {
            anyhow::anyhow!("checkpoint tensor '{n}' has shape {s:?}, which has no dimension {i}: it is not a seed network's weight")
        })
    };
    let base = |net, c| NetConfig::for_net(net, c, image_size);
    let cfg = if has("stem.weight") {
        let mut channels = vec![dim("stem.weight", 0)?];
        loop {
            let n = format!("down_blocks.{}.conv_in.weight", channels.len() - 1);
            if !has(&n) {
                break;
            }
            channels.push(dim(&n, 0)?);
        }
        NetConfig {
            channels,
            temb_dim: dim("down_blocks.0.time_proj.weight", 1)?,
            ..base(NetKind::Seed001, dim("stem.weight", 1)?)
        }
    } else if has("net.0.weight") {
        let channels = vec![
            dim("net.0.weight", 0)?,
            dim("net.2.weight", 0)?,
            dim("net.4.weight", 0)?,
        ];
        let c = dim("net.6.weight", 0)?;
        NetConfig {
            channels,
            t_max: 300,
            ..base(NetKind::Seed002, c)
        }
    } else if has("inc.double_conv.0.weight") {
        NetConfig {
            channels: vec![dim("inc.double_conv.0.weight", 0)?],
            temb_dim: dim("down1.emb_layer.1.weight", 1)?,
            ..base(NetKind::Seed003, dim("inc.double_conv.0.weight", 1)?)
        }
    } else if has("down0.0.weight") {
        let d2 = dim("down2.model.0.weight", 0)?;
        let latent = dim("dense_emb.0.weight", 1)?
            .checked_div(d2)
            .ok_or_else(|| {
                anyhow::anyhow!("checkpoint tensor 'down2.model.0.weight' has no output channels")
            })?;
        let side = (latent as f64).sqrt().round() as usize;
        NetConfig {
            channels: vec![
                dim("down0.0.weight", 0)?,
                dim("down1.model.0.weight", 0)?,
                d2,
            ],
            t_max: 150,
            image_size: 4 * side,
            ..base(NetKind::Seed004, dim("down0.0.weight", 1)?)
        }
    } else {
        let d1 = [
            dim("down1.convs.0.weight", 0)?,
            dim("down1.convs.0.weight", 1)?,
        ];
        let num_classes = ck
            .tensors
            .get("label_emb.weight")
            .and_then(|t| t.0.first())
            .map_or(0, |n| n.saturating_sub(1));
        NetConfig {
            channels: vec![
                d1[0],
                dim("down2.convs.0.weight", 0)?,
                dim("bot1.convs.0.weight", 0)?,
            ],
            temb_dim: dim("down1.mlp.0.weight", 1)?,
            num_classes,
            ..base(NetKind::Seed000, d1[1])
        }
    };
    Ok(cfg)
}
