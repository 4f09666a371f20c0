//! wgpu-ddpm: a DDPM trainer and sampler whose every tensor op is a WGSL compute shader.

// Kernel launchers take one argument per bound tensor, so long argument lists are the norm.
#![allow(clippy::too_many_arguments)]

// The browser build (wasm32, see web/) has the core alone: no CLI, files, terminal or pictures.

#[cfg(not(target_arch = "wasm32"))]
pub mod bench;
pub mod checkpoint;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
#[cfg(not(target_arch = "wasm32"))]
pub mod commands;
pub mod data;
pub mod diffusion;
#[cfg(not(target_arch = "wasm32"))]
pub mod finetune;
pub mod gpu;
pub mod kernels;
pub mod model;
#[cfg(not(target_arch = "wasm32"))]
pub mod pictures;
#[cfg(not(target_arch = "wasm32"))]
pub mod quality;
pub mod sample;
#[cfg(not(target_arch = "wasm32"))]
pub mod selfcheck;
pub mod shaders;
pub mod train;
pub mod util;
