//! `cargo bench --bench kernels [GROUP]`: every kernel at the seed U-Net's shapes.
//! One module per op; each has a `bench(&Bencher)` that checks `b.enabled("<op>")`, and is
//! named once, in `groups!` below. WGSL libraries are timed inside the kernels that import
//! them (each kernel's `// import` line in shaders/ says which): activation,
//! activation_backward, attention_texels, bn_params, common, concat_params, conv2d_acc,
//! conv2d_geom_lib, conv2d_geom_weight_params, conv2d_weight_params, denoise_coef, dpm_x0,
//! erf, grid_1d, grid_pairs, group_norm_params, group_norm_plane_pass, layer_norm_params,
//! layer_norm_row_pass, linear_backward_params, maxpool_window, norm_backward_io,
//! norm_forward_io, norm_moments, pool_params, rng, segments, spread, workgroup_sum (the list
//! is checked by tests/shaders/modules.rs).

use wgpu_ddpm::bench::Bencher;

// The rows every elementwise activation reports.
mod activation;
// The buffers and timing the group_norm and layer_norm groups share.
mod norm_support;

/// Declares each op's module and runs its `bench`, in the order listed.
macro_rules! groups {
    ($($op:ident),* $(,)?) => {
        $(mod $op;)*

        fn main() {
            let b = Bencher::from_args();
            $($op::bench(&b);)*
        }
    };
}

groups! {
    conv2d,
    conv2d_geom,
    conv_transpose2d,
    relu,
    linear,
    concat,
    broadcast_add,
    time_embedding,
    mse,
    adam,
    ema,
    diffusion,
    dpm_solver,
    grad_clip,
    label_embedding,
    batchnorm,
    maxpool,
    upsample,
    batchnorm_eval_backward,
    softmax_cross_entropy,
    group_norm,
    layer_norm,
    gelu,
    silu,
    add,
    attention,
    tokens,
}
