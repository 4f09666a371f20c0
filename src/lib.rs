//! wgpu-ddpm: a DDPM trainer and sampler whose every tensor op is a WGSL compute shader.

pub mod bench;
pub mod cli;
pub mod diffusion;
pub mod gpu;
pub mod kernels;
pub mod shaders;
pub mod util;
