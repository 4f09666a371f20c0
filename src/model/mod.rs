//! The network: packed parameters, the autodiff tape, the seed U-Net, and checkpoint I/O.

pub mod checkpoint_io;
pub mod graph;
mod graph_act;
mod graph_attention;
mod graph_bn;
mod graph_conv;
mod graph_conv_geom;
pub mod graph_diffusion;
pub mod graph_dpm;
mod graph_norm;
pub mod nets;
pub mod network;
pub mod params;
