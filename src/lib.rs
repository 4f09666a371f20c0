//! wgpu-ddpm: a DDPM trainer and sampler whose every tensor op is a WGSL compute shader.

pub mod bench;
pub mod checkpoint;
pub mod cli;
pub mod commands;
pub mod data;
pub mod diffusion;
pub mod gpu;
pub mod kernels;
pub mod model;
pub mod pictures;
pub mod sample;
pub mod shaders;
pub mod train;
pub mod util;
