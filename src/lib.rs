//! wgpu-ddpm: a DDPM trainer and sampler whose every tensor op is a WGSL compute shader.

// Kernel launchers take one argument per bound tensor, so long argument lists are the norm.
#![allow(clippy::too_many_arguments)]

pub mod bench;
pub mod checkpoint;
pub mod cli;
pub mod commands;
pub mod data;
pub mod diffusion;
pub mod finetune;
pub mod gpu;
pub mod kernels;
pub mod model;
pub mod pictures;
pub mod quality;
pub mod sample;
pub mod selfcheck;
pub mod shaders;
pub mod train;
pub mod util;
