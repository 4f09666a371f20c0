//! `cargo bench --bench kernels [GROUP]`: every kernel at the seed U-Net's shapes.
//! One module per op; each has a `bench(&Bencher)` that checks `b.enabled("<op>")`.
//! WGSL libraries are timed inside the kernels that append them: workgroup_sum and bn_params
//! (batchnorm, mse; workgroup_sum also in the bias pass of conv2d_geom_backward_weight),
//! concat_params (concat), linear_backward_params (linear), pool_params (maxpool, upsample),
//! denoise_coef (denoise), spread_subgroup / spread_plain (conv2d, conv2d_geom,
//! conv_transpose2d, attention), segments (group_norm, layer_norm), group_norm_params
//! (group_norm), layer_norm_params (layer_norm), erf (gelu), attention_texels (attention),
//! conv2d_geom_lib (conv2d_geom, conv_transpose2d), conv2d_geom_weight_params (their weight
//! gradient), activation / activation_backward (relu, gelu, silu), conv2d_acc (conv2d,
//! conv2d_geom, conv_transpose2d), conv2d_weight_params (conv2d_backward_weight),
//! grid_1d (the elementwise kernels: relu, add, concat, ema, mse_backward, ...), grid_pairs
//! (denoise, rng_normal_fill), dpm_x0 (dpm_solver), maxpool_window (maxpool), norm_forward_io / norm_backward_io /
//! norm_moments (batchnorm, group_norm, layer_norm), group_norm_plane_pass (group_norm),
//! layer_norm_row_pass (layer_norm).

use wgpu_ddpm::bench::Bencher;

// The rows every elementwise activation reports.
mod activation;
mod adam;
mod add;
mod attention;
mod batchnorm;
mod batchnorm_eval_backward;
mod broadcast_add;
mod concat;
mod conv2d;
mod conv2d_geom;
mod conv_transpose2d;
mod diffusion;
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
// The buffers and timing the group_norm and layer_norm groups share.
mod norm_support;
mod relu;
mod silu;
mod softmax_cross_entropy;
mod time_embedding;
mod tokens;
mod upsample;

fn main() {
    let b = Bencher::from_args();
    conv2d::bench(&b);
    conv2d_geom::bench(&b);
    conv_transpose2d::bench(&b);
    relu::bench(&b);
    linear::bench(&b);
    concat::bench(&b);
    broadcast_add::bench(&b);
    time_embedding::bench(&b);
    mse::bench(&b);
    adam::bench(&b);
    ema::bench(&b);
    diffusion::bench(&b);
    dpm_solver::bench(&b);
    grad_clip::bench(&b);
    label_embedding::bench(&b);
    batchnorm::bench(&b);
    maxpool::bench(&b);
    upsample::bench(&b);
    batchnorm_eval_backward::bench(&b);
    softmax_cross_entropy::bench(&b);
    group_norm::bench(&b);
    layer_norm::bench(&b);
    gelu::bench(&b);
    silu::bench(&b);
    add::bench(&b);
    attention::bench(&b);
    tokens::bench(&b);
}
