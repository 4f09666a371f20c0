//! The networks, one file each: `defaults` (the seed's widths and embedding size),
//! `validate` (through `checks`), `declare` (tensors under PyTorch names, see `Declare`) and
//! `forward` (recorded onto the tape through `Layers`, which also holds the config). A new network is a new file and one arm in
//! each match below.

mod checks;
mod config;
mod declare;
mod layers;
pub mod seed000;
pub mod seed001;
pub mod seed002;
pub mod seed003;
pub mod seed004;

use anyhow::Result;

pub use config::NetConfig;
pub use declare::Declare;
pub(crate) use declare::Inits;
pub use layers::Layers;

use super::graph::Var;
pub use super::network::NetKind;
use crate::gpu::GpuTensor;

/// The seed's channel widths and time-embedding size.
pub fn defaults(net: NetKind) -> (Vec<usize>, usize) {
    match net {
        NetKind::Seed000 => seed000::defaults(),
        NetKind::Seed001 => seed001::defaults(),
        NetKind::Seed002 => seed002::defaults(),
        NetKind::Seed003 => seed003::defaults(),
        NetKind::Seed004 => seed004::defaults(),
    }
}

/// Smaller widths for CPU adapters, where a seed's own would take hours per epoch.
pub fn cpu_channels(net: NetKind) -> Vec<usize> {
    match net {
        NetKind::Seed000 | NetKind::Seed004 => vec![16, 32, 64],
        NetKind::Seed001 => vec![16, 32, 64, 128],
        NetKind::Seed002 => vec![32, 64, 32],
        NetKind::Seed003 => vec![16],
    }
}

/// f32 values per image of a training step's forward activations, for the memory checks
/// made before allocating.
#[derive(Clone, Copy, Debug)]
pub struct Activations {
    /// The largest single activation (it must fit one storage binding).
    pub largest: u64,
    /// An upper bound on all of them together.
    pub total: u64,
}

pub fn activations(cfg: &NetConfig) -> Activations {
    match cfg.net {
        NetKind::Seed000 => seed000::activations(cfg),
        NetKind::Seed001 => seed001::activations(cfg),
        NetKind::Seed002 => seed002::activations(cfg),
        NetKind::Seed003 => seed003::activations(cfg),
        NetKind::Seed004 => seed004::activations(cfg),
    }
}

pub fn validate(cfg: &NetConfig) -> Result<()> {
    match cfg.net {
        NetKind::Seed000 => seed000::validate(cfg),
        NetKind::Seed001 => seed001::validate(cfg),
        NetKind::Seed002 => seed002::validate(cfg),
        NetKind::Seed003 => seed003::validate(cfg),
        NetKind::Seed004 => seed004::validate(cfg),
    }
}

pub fn declare(cfg: &NetConfig, d: &mut Declare) {
    match cfg.net {
        NetKind::Seed000 => seed000::declare(cfg, d),
        NetKind::Seed001 => seed001::declare(cfg, d),
        NetKind::Seed002 => seed002::declare(cfg, d),
        NetKind::Seed003 => seed003::declare(cfg, d),
        NetKind::Seed004 => seed004::declare(cfg, d),
    }
}

/// Record the network `l` builds (its config says which) on `x` at timesteps `t`, with
/// labels `y` for a class-conditional one.
pub fn forward(l: &mut Layers, x: &Var, t: &GpuTensor, y: Option<&GpuTensor>) -> Var {
    match l.cfg().net {
        NetKind::Seed000 => seed000::forward(l, x, t, y),
        NetKind::Seed001 => seed001::forward(l, x, t, y),
        NetKind::Seed002 => seed002::forward(l, x, t, y),
        NetKind::Seed003 => seed003::forward(l, x, t, y),
        NetKind::Seed004 => seed004::forward(l, x, t, y),
    }
}
