// GroupNorm forward, pass 3 of 3: y = (x - mean) * rstd * gamma + beta with the statistics of
// the value's (image, group) from group_norm_moments and gamma, beta of its channel.
// Overwrites y.

// import group_norm_params, norm_forward_io, group_norm_plane_pass

@group(0) @binding(4) var<storage, read> mean: array<f32>;
@group(0) @binding(5) var<storage, read> rstd: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

// Entry point: shaders/group_norm_plane_pass.wgsl.
fn live_plane(pl: Plane, chunk: u32) {
    let mu = mean[pl.group];
    let scale = rstd[pl.group] * gamma[pl.channel];
    let b = beta[pl.channel];
    for (var i = 0u; i < PER_LANE; i++) {
        let e = plane_offset(chunk, i, pl.lane);
        if (e < p.hw) {
            y[pl.base + e] = (x[pl.base + e] - mu) * scale + b;
        }
    }
}
