//! The tape's ops, one file per kernel module (`src/kernels/<op>`): each adds its methods to
//! `Graph`, recording the forward dispatch and the backward closure.

mod activation;
mod add;
mod add_noise;
mod attention;
mod batchnorm;
mod batchnorm_eval_backward;
mod broadcast_add;
mod concat;
mod conv2d;
mod denoise;
mod dpm_solver;
mod group_norm;
mod label_embedding;
mod layer_norm;
mod linear;
mod maxpool;
mod mse;
mod softmax_cross_entropy;
mod time_embedding;
mod tokens;
mod upsample;
