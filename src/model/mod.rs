//! The network: packed parameters, the autodiff tape, the seed U-Net, and checkpoint I/O.

pub mod checkpoint_io;
pub mod golden;
pub mod graph;
pub mod nets;
pub mod network;
pub mod params;
