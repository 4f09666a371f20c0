//! The network: packed parameters, the autodiff tape, the seed U-Net, and checkpoint I/O.

pub mod checkpoint_io;
pub mod graph;
mod graph_attention;
mod graph_bn;
mod graph_conv;
pub mod graph_diffusion;
pub mod params;
pub mod unet;
