//! GPU kernels against their CPU references (one module per op), on the adapter that
//! `Gpu::new` picks (lavapipe in CI). Shapes are tiny and deliberately odd.

mod common;

mod adam;
mod broadcast_add;
mod concat;
mod ema;
mod linear;
mod mse;
mod relu;
mod time_embedding;
mod batchnorm;
mod maxpool;
mod upsample;
mod add_noise;
mod denoise;
mod rng;
