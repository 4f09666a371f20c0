//! One module per op: launcher(s), params struct and CPU reference, named as the shader.

pub mod relu;
pub mod batchnorm;
pub mod maxpool;
pub mod upsample;
