//! `cargo bench --bench kernels [GROUP]`: every kernel at the seed U-Net's shapes.
//! One file per group, each with a `bench(&Bencher)` that checks `b.enabled("<op>")`; the
//! `*_support.rs` files hold what several groups share. Nothing names a group: the module
//! list and `GROUPS` (every module but the `*_support` ones, run in file-name order) are
//! written by `build.rs` from the files (`build/modules.rs`). WGSL libraries are timed inside
//! the kernels that import them (each kernel's `// import` line in shaders/ says which):
//! activation, activation_backward, attention_texels, bn_params, common, concat_params,
//! conv2d_acc, conv2d_geom_lib, conv2d_geom_weight_params, conv2d_thin_input,
//! conv2d_weight_params, denoise_coef, dpm_x0, erf, grid_1d, grid_pairs, group_norm_params,
//! group_norm_plane_pass, layer_norm_params, layer_norm_row_pass, linear_backward_params,
//! maxpool_window, norm_backward_io, norm_forward_io, norm_moments, pool_params, rng,
//! segments, spread,
//! workgroup_sum (the list is checked by tests/shaders/modules.rs).

use wgpu_ddpm::bench::Bencher;

include!(concat!(env!("OUT_DIR"), "/modules_benches_kernels.rs"));

fn main() {
    let b = Bencher::from_args();
    for group in GROUPS {
        group(&b);
    }
}
