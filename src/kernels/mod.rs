//! One module per op: launcher(s), params struct and CPU reference, named as the shader.

pub mod add_noise;
pub mod denoise;
pub mod gaussian_eps;
pub mod relu;
pub mod rng;
