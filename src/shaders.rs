//! The single registry of WGSL sources. Each kernel lives in `shaders/<name>.wgsl`;
//! libraries (no entry points) are appended to the kernels that use them. WGSL allows
//! use before declaration at module scope, so appending keeps a kernel's line numbers.

pub struct Shader {
    pub name: &'static str,
    pub source: &'static str,
    /// Libraries appended after the kernel's own source (`common` is always appended).
    pub deps: &'static [&'static str],
}

/// A kernel that can be dispatched, named by the consts in [`id`] (one per kernel in the
/// registry below; libraries get none). `Gpu::dispatch` takes one of these, never a string,
/// so a misspelt kernel is a compile error rather than a panic at pipeline build time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ShaderId(&'static str);

impl ShaderId {
    /// The kernel's registry name (its file stem under `shaders/`).
    pub const fn name(self) -> &'static str {
        self.0
    }
}

macro_rules! registry {
    (
        libraries { $($lib:ident),* $(,)? }
        kernels { $($name:ident $([$($dep:ident),*])?),* $(,)? }
    ) => {
        /// Libraries: appended to kernels, never compiled alone as pipelines. A kernel that
        /// lists `spread` gets one of the two `spread_*` libraries, chosen per adapter
        /// (`gpu::Spread`).
        pub const LIBRARIES: &[&str] = &[$(stringify!($lib)),*];

        pub const SHADERS: &[Shader] = &[
            $(Shader {
                name: stringify!($lib),
                source: include_str!(concat!("../shaders/", stringify!($lib), ".wgsl")),
                deps: &[],
            },)*
            $(Shader {
                name: stringify!($name),
                source: include_str!(concat!("../shaders/", stringify!($name), ".wgsl")),
                deps: &[$($(stringify!($dep)),*)?],
            }),*
        ];

        /// One [`ShaderId`] per dispatchable kernel, named as its file in `shaders/`.
        #[allow(non_upper_case_globals)]
        pub mod id {
            use super::ShaderId;
            $(pub const $name: ShaderId = ShaderId(stringify!($name));)*
        }
    };
}

registry! {
    libraries {
        common,
        rng,
        spread_subgroup,
        spread_plain,
        workgroup_sum,
        bn_params,
        denoise_coef,
        dpm_x0,
        linear_backward_params,
        concat_params,
        pool_params,
        segments,
        group_norm_params,
        layer_norm_params,
        norm_forward_io,
        norm_backward_io,
        norm_moments,
        erf,
        attention_texels,
        conv2d_acc,
        conv2d_weight_params,
        conv2d_geom_lib,
        conv2d_geom_weight_params,
        activation,
        activation_backward,
        grid_1d,
        grid_pairs,
        group_norm_plane_pass,
        layer_norm_row_pass,
        maxpool_window,
    }
    kernels {
        relu [activation, grid_1d],
        relu_backward [activation_backward, grid_1d],
        linear,
        linear_backward_data [linear_backward_params],
        linear_backward_weight [linear_backward_params],
        concat [concat_params, grid_1d],
        concat_backward [concat_params, grid_1d],
        broadcast_add [grid_1d],
        broadcast_add_backward,
        time_embedding,
        mse [workgroup_sum],
        mse_sum [workgroup_sum],
        mse_backward [grid_1d],
        adam,
        ema [grid_1d],
        grad_clip,
        label_embedding,
        label_embedding_backward,
        guidance [grid_1d],
        batchnorm_stats [bn_params, workgroup_sum],
        batchnorm [bn_params, norm_forward_io, norm_moments],
        batchnorm_eval [bn_params, norm_forward_io],
        batchnorm_backward_reduce [bn_params, norm_backward_io, workgroup_sum],
        batchnorm_backward [bn_params, norm_backward_io],
        maxpool [pool_params, maxpool_window, grid_1d],
        maxpool_backward [pool_params, maxpool_window, grid_1d],
        upsample [pool_params, grid_1d],
        upsample_backward [pool_params, grid_1d],
        rng_fill [rng, grid_1d],
        rng_normal_fill [rng, grid_pairs],
        add_noise [rng],
        denoise [rng, denoise_coef, grid_pairs],
        sampler_prepare,
        sampler_advance,
        dpm_solver [dpm_x0, grid_1d],
        dpm_solver_backward [dpm_x0, grid_1d],
        gaussian_eps [grid_1d],
        conv2d_pack_input,
        conv2d_pack_weight,
        conv2d [conv2d_acc, spread],
        conv2d_backward_weight [conv2d_weight_params],
        conv2d_backward_weight_reduce [conv2d_weight_params],
        conv2d_geom [conv2d_geom_lib, conv2d_acc, spread],
        conv_transpose2d [conv2d_geom_lib, conv2d_acc, spread],
        conv2d_geom_backward_weight [conv2d_geom_weight_params],
        conv2d_geom_backward_weight_reduce [conv2d_geom_weight_params],
        conv2d_geom_bias_backward [workgroup_sum],
        denoise_backward [denoise_coef],
        add_noise_backward,
        batchnorm_eval_backward [bn_params],
        batchnorm_eval_backward_params [bn_params, workgroup_sum],
        softmax_cross_entropy [grid_1d],
        softmax_cross_entropy_backward [grid_1d],
        group_norm_stats [group_norm_params, segments],
        group_norm_moments [group_norm_params, segments, norm_moments],
        group_norm [group_norm_params, segments, norm_forward_io, group_norm_plane_pass],
        group_norm_backward_reduce [group_norm_params, segments, norm_backward_io],
        group_norm_backward_sums [group_norm_params, segments],
        group_norm_backward [group_norm_params, segments, norm_backward_io, group_norm_plane_pass],
        layer_norm [layer_norm_params, segments, norm_forward_io, norm_moments, layer_norm_row_pass],
        layer_norm_backward [layer_norm_params, segments, norm_backward_io, layer_norm_row_pass],
        layer_norm_backward_params [layer_norm_params, segments, norm_backward_io],
        layer_norm_backward_params_sum [layer_norm_params, segments],
        gelu [erf, activation, grid_1d],
        gelu_backward [erf, activation_backward, grid_1d],
        silu [activation, grid_1d],
        silu_backward [activation_backward, grid_1d],
        add [grid_1d],
        add_backward [grid_1d],
        tokens,
        attention_pack [attention_texels],
        attention_matmul [spread, attention_texels],
        attention_softmax [attention_texels],
    }
}

pub fn get(name: &str) -> Option<&'static Shader> {
    SHADERS.iter().find(|s| s.name == name)
}

/// Full source of a kernel: its own text, then `common`, then its declared libraries, with
/// the dependency `spread` resolved to the library `spread` names (`spread_subgroup` or
/// `spread_plain`).
pub fn composed(name: &str, spread: &str) -> Option<String> {
    let s = get(name)?;
    let mut out = String::from(s.source);
    if !LIBRARIES.contains(&name) {
        for dep in std::iter::once(&"common").chain(s.deps.iter()) {
            let dep = if *dep == "spread" { spread } else { dep };
            out.push('\n');
            out.push_str(get(dep)?.source);
        }
    }
    Some(out)
}

/// Whether a kernel uses the `spread` library (so it has a variant per adapter path).
pub fn uses_spread(name: &str) -> bool {
    get(name).is_some_and(|s| s.deps.contains(&"spread"))
}

/// Line count of the kernel's own text, so errors past it can be blamed on a library.
pub fn own_lines(name: &str) -> usize {
    get(name).map_or(0, |s| s.source.lines().count())
}
