//! One module per op: launcher(s), params struct and CPU reference, named as the shader.

pub mod adam;
pub mod add_noise;
pub mod attention;
pub mod batchnorm;
pub mod batchnorm_eval_backward;
pub mod batchnorm_relu;
pub mod broadcast_add;
pub mod concat;
pub mod conv2d;
pub mod denoise;
pub mod ema;
pub mod gaussian_eps;
pub mod grad_clip;
pub mod guidance;
pub mod label_embedding;
pub mod linear;
pub mod maxpool;
pub mod mse;
pub mod relu;
pub mod rng;
pub mod schedule_table;
pub mod softmax_cross_entropy;
pub mod time_embedding;
pub mod tokens;
pub mod upsample;
