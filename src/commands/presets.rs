//! `--preset`: the defaults of the classic DDPM workloads.

use anyhow::{bail, Result};

use super::TrainArgs;

/// Defaults of the classic DDPM workloads; flags given explicitly win.
#[derive(Clone, Debug, PartialEq)]
pub struct Preset {
    pub image_size: usize,
    pub image_channels: usize,
    pub t_max: usize,
    pub variance: &'static str,
    pub weight_decay: f32,
    pub needs_data: &'static str,
    /// The seed network the workload comes with.
    pub net: &'static str,
}

pub fn preset(name: &str) -> Result<Preset> {
    let p = |image_size, image_channels, t_max, variance, weight_decay, needs_data, net| Preset {
        image_size,
        image_channels,
        t_max,
        variance,
        weight_decay,
        needs_data,
        net,
    };
    Ok(match name {
        "mnist" => p(
            28,
            1,
            1000,
            "small",
            0.0,
            "an MNIST IDX file (train-images-idx3-ubyte[.gz])",
            "seed000",
        ),
        "mnist-t300" => p(
            28,
            1,
            300,
            "small",
            0.0,
            "an MNIST IDX file (train-images-idx3-ubyte[.gz])",
            "seed002",
        ),
        "fashion16" => p(
            16,
            1,
            150,
            "small",
            0.0,
            "a Fashion-MNIST IDX file",
            "seed004",
        ),
        "single48" => p(48, 3, 1000, "large", 0.0, "one PNG/JPEG image", "seed001"),
        "folder64" => p(
            64,
            3,
            1000,
            "small",
            0.01,
            "a folder of PNG/JPEG images",
            "seed003",
        ),
        other => bail!(
            "unknown --preset {other}: use mnist, mnist-t300, fashion16, single48 or folder64"
        ),
    })
}

impl TrainArgs {
    /// Fill unset flags from the preset (or the plain defaults).
    pub fn resolved(&self) -> Result<TrainArgs> {
        let mut a = self.clone();
        let p = match &self.preset {
            Some(name) => {
                let p = preset(name)?;
                if a.data == "builtin" {
                    bail!(
                        "--preset {name} trains on {}: pass it with --data PATH",
                        p.needs_data
                    );
                }
                p
            }
            None => Preset {
                image_size: 0,
                image_channels: 1,
                t_max: 1000,
                variance: "small",
                weight_decay: 0.0,
                needs_data: "",
                net: "seed000",
            },
        };
        if p.image_size > 0 {
            a.image_size = a.image_size.or(Some(p.image_size));
        }
        a.image_channels = a.image_channels.or(Some(p.image_channels));
        a.t_max = a.t_max.or(Some(p.t_max));
        a.weight_decay = a.weight_decay.or(Some(p.weight_decay));
        a.variance = a.variance.or(Some(p.variance.to_string()));
        a.net = a.net.or(Some(p.net.to_string()));
        Ok(a)
    }
}
