//! What a network needs to be built, and how a checkpoint records it.

use anyhow::{bail, Result};
use serde_json::json;

use super::NetKind;
use crate::model::nets;

/// What a network needs to be built. `channels` means what each network's file says (the
/// seed U-Net: its three widths); `t_max` is the T that networks fed t/T divide by.
#[derive(Clone, Debug, PartialEq)]
pub struct NetConfig {
    pub net: NetKind,
    pub image_channels: usize,
    pub image_size: usize,
    pub channels: Vec<usize>,
    pub temb_dim: usize,
    /// Classes of the label embedding (0: unconditional).
    pub num_classes: usize,
    pub t_max: usize,
}

impl Default for NetConfig {
    fn default() -> Self {
        Self {
            net: NetKind::Seed000,
            image_channels: 1,
            image_size: 28,
            channels: vec![64, 128, 256],
            temb_dim: 100,
            num_classes: 0,
            t_max: 1000,
        }
    }
}

impl NetConfig {
    /// The network's defaults (its seed's widths and embedding size) at this image shape.
    pub fn for_net(net: NetKind, image_channels: usize, image_size: usize) -> Self {
        let (channels, temb_dim) = nets::defaults(net);
        Self {
            net,
            image_channels,
            image_size,
            channels,
            temb_dim,
            ..Self::default()
        }
    }

    pub fn validate(&self) -> Result<()> {
        if self.image_channels == 0 || self.channels.contains(&0) || self.temb_dim == 0 {
            bail!(
                "channels and the time-embedding size must be positive (got {:?}, D = {})",
                self.channels,
                self.temb_dim
            );
        }
        if self.t_max == 0 {
            bail!("T must be positive");
        }
        nets::validate(self)
    }

    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "net": self.net.name(),
            "image_channels": self.image_channels,
            "image_size": self.image_size,
            "channels": self.channels,
            "temb_dim": self.temb_dim,
            "num_classes": self.num_classes,
            "t_max": self.t_max,
        })
    }

    /// Checkpoints written before `net` and `t_max` were recorded hold a seed U-Net
    /// trained with T = 1000 (the only network and T the metadata could describe).
    pub fn from_json(v: &serde_json::Value) -> Option<Self> {
        let net = match v.get("net").and_then(|n| n.as_str()) {
            Some(n) => NetKind::from_name(n).ok()?,
            None => NetKind::Seed000,
        };
        let channels = v
            .get("channels")?
            .as_array()?
            .iter()
            .map(|c| c.as_u64().map(|c| c as usize))
            .collect::<Option<Vec<_>>>()?;
        let get = |k: &str| v.get(k).and_then(|c| c.as_u64()).map(|c| c as usize);
        Some(Self {
            net,
            image_channels: get("image_channels")?,
            image_size: get("image_size")?,
            channels,
            temb_dim: get("temb_dim")?,
            num_classes: get("num_classes").unwrap_or(0),
            t_max: get("t_max").unwrap_or(1000),
        })
    }
}
