//! The conv kernels' weight-sharing path, chosen once per adapter (or forced for tests).

#[cfg(not(target_arch = "wasm32"))]
use anyhow::{bail, Result};

/// Environment variable that forces how kernels share weights: `subgroup` or `plain`.
pub const SPREAD_ENV: &str = "WGPU_DDPM_SPREAD";

/// How the conv kernels hand the 8 weight texels of a tap to every lane (chosen once per
/// adapter): one load per lane and subgroup shuffles, or every lane loading all eight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spread {
    Subgroup,
    Plain,
}

impl Spread {
    /// Subgroup shuffles when the adapter has subgroups of at least 8 lanes.
    pub fn best_for(adapter: &wgpu::Adapter) -> Spread {
        let ok = adapter.features().contains(wgpu::Features::SUBGROUP)
            && adapter.get_info().subgroup_min_size >= 8;
        if ok {
            Spread::Subgroup
        } else {
            Spread::Plain
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn parse(s: &str) -> Result<Spread> {
        match s.to_ascii_lowercase().as_str() {
            "subgroup" | "subgroups" => Ok(Spread::Subgroup),
            "plain" => Ok(Spread::Plain),
            other => bail!("unknown {SPREAD_ENV} value '{other}': use subgroup or plain"),
        }
    }
}
