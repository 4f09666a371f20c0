//! The networks, one file each, and their registry: the `networks!` line at the bottom.
//! A network's file holds `defaults` (the seed's widths and embedding size), `validate`
//! (through `checks`), `activations` (for the memory checks), `declare` (tensors under
//! PyTorch names, see `Declare`) and `forward` (recorded onto the tape through `Layers`,
//! which also holds the config), and ends with its `NET` entry naming them. A new network
//! is a new file and one line in `networks!`.

mod checks;
mod config;
mod declare;
mod layers;

use anyhow::Result;

pub use config::NetConfig;
pub use declare::Declare;
pub(crate) use declare::Inits;
pub use layers::{Layers, Weights};

use crate::gpu::GpuTensor;
use crate::model::graph::Var;

/// A network's entry in the registry: what `info` says of it, the shape of its seed's data,
/// and its functions.
pub struct Net {
    /// One line for `info`: what the network is and the preset that trains it.
    pub about: &'static str,
    /// The image shape (channels, side) of the seed's own data.
    pub seed_image: (usize, usize),
    /// Smaller widths for CPU adapters, where a seed's own would take hours per epoch.
    pub cpu_channels: &'static [usize],
    pub defaults: fn() -> (Vec<usize>, usize),
    pub validate: fn(&NetConfig) -> Result<()>,
    pub activations: fn(&NetConfig) -> Activations,
    pub declare: fn(&NetConfig, &mut Declare),
    pub forward: fn(&mut Layers, &Var, &GpuTensor, Option<&GpuTensor>) -> Var,
}

/// Declares each network's file, the `NetKind` variant that names it (its name is the
/// file's), and the lookup from one to the other.
macro_rules! networks {
    ($($kind:ident => $file:ident),* $(,)?) => {
        $(pub mod $file;)*

        /// Which network: the seeds' own, named by the tutorial they come from (see each
        /// one's file, and `NetKind::about`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum NetKind {
            $($kind,)*
        }

        impl NetKind {
            pub const ALL: [NetKind; [$(stringify!($kind)),*].len()] = [$(NetKind::$kind),*];

            pub fn name(self) -> &'static str {
                match self {
                    $(NetKind::$kind => stringify!($file),)*
                }
            }

            /// The network's registry entry.
            pub fn net(self) -> &'static Net {
                match self {
                    $(NetKind::$kind => &$file::NET,)*
                }
            }
        }
    };
}

networks! {
    Seed000 => seed000,
    Seed001 => seed001,
    Seed002 => seed002,
    Seed003 => seed003,
    Seed004 => seed004,
}

impl NetKind {
    /// One line for `info`: what the network is and the preset that trains it.
    pub fn about(self) -> &'static str {
        self.net().about
    }

    /// The image shape (channels, side) of the seed's own data.
    pub fn seed_image(self) -> (usize, usize) {
        self.net().seed_image
    }

    pub fn from_name(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|k| k.name()).collect();
                anyhow::anyhow!("unknown network '{s}'; choose one of {}", names.join(", "))
            })
    }
}

/// The seed's channel widths and time-embedding size.
pub fn defaults(net: NetKind) -> (Vec<usize>, usize) {
    (net.net().defaults)()
}

/// Smaller widths for CPU adapters, where a seed's own would take hours per epoch.
pub fn cpu_channels(net: NetKind) -> Vec<usize> {
    net.net().cpu_channels.to_vec()
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
    (cfg.net.net().activations)(cfg)
}

pub fn validate(cfg: &NetConfig) -> Result<()> {
    (cfg.net.net().validate)(cfg)
}

pub fn declare(cfg: &NetConfig, d: &mut Declare) {
    (cfg.net.net().declare)(cfg, d)
}

/// Record the network `l` builds (its config says which) on `x` at timesteps `t`, with
/// labels `y` for a class-conditional one.
pub fn forward(l: &mut Layers, x: &Var, t: &GpuTensor, y: Option<&GpuTensor>) -> Var {
    (l.cfg().net.net().forward)(l, x, t, y)
}
