//! One module per op: launcher(s), params struct and CPU reference, named as the shader.

pub mod conv2d;
pub mod relu;
