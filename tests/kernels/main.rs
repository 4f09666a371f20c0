//! GPU kernels against their CPU references (one module per op), on the adapter that
//! `Gpu::new` picks (lavapipe and SwiftShader in CI), within bounds any conformant driver
//! meets (docs/tolerances.md, `common::tol`). Shapes are tiny and deliberately odd.

#[path = "../common/mod.rs"]
mod common;
// Running a tiny autodiff graph once, for the graph-level gradient checks.
mod tape;
// The backward checks the elementwise activations share.
mod activation;
// Host values kept with their GPU copy, exact and finite-difference checks of the
// elementwise and data-movement kernels.
mod elementwise_support;

mod adam;
mod add;
mod add_noise;
mod add_noise_backward;
mod attention;
mod attention_bounds;
mod attention_graph;
mod batchnorm;
mod batchnorm_eval_backward;
mod batchnorm_relu;
mod broadcast_add;
mod concat;
mod conv2d;
mod conv2d_geom;
mod conv2d_pack_input;
mod conv_geom_support;
mod conv_transpose2d;
mod denoise;
mod denoise_backward;
mod dpm_sampler;
mod dpm_solver;
mod ema;
mod gelu;
mod grad_clip;
mod group_norm;
mod label_embedding;
mod layer_norm;
mod linear;
mod maxpool;
mod mse;
// The GPU runs the norm tests (batchnorm, group_norm, layer_norm) share.
mod norm_bounds;
mod norm_support;
mod passes;
mod prediction_golden;
mod relu;
mod rng;
mod silu;
mod snr_weight;
mod softmax_cross_entropy;
mod time_embedding;
mod tokens;
mod upsample;
