//! One module per op: launcher(s), params struct and CPU reference, named as the shader.

pub mod adam;
pub mod broadcast_add;
pub mod concat;
pub mod ema;
pub mod linear;
pub mod mse;
pub mod relu;
pub mod time_embedding;
pub mod batchnorm;
pub mod maxpool;
pub mod upsample;
pub mod add_noise;
pub mod denoise;
pub mod gaussian_eps;
pub mod rng;
pub mod conv2d;
