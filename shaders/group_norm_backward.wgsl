// GroupNorm backward, pass 3 of 3: with g = gamma * dy and the group means of g and g * xhat
// (coef, from group_norm_backward_sums):
//   dx += rstd * (g - mean(g) - xhat * mean(g * xhat)),  xhat = (x - mean) * rstd.

// import group_norm_params, norm_backward_io, group_norm_plane_pass

@group(0) @binding(5) var<storage, read> gamma: array<f32>;
@group(0) @binding(6) var<storage, read> coef: array<vec2<f32>>;
@group(0) @binding(7) var<storage, read_write> dx: array<f32>;

// Entry point: shaders/group_norm_plane_pass.wgsl.
fn live_plane(pl: Plane, chunk: u32) {
    let mu = mean[pl.group];
    let rs = rstd[pl.group];
    let g = gamma[pl.channel];
    let m = coef[pl.group];
    for (var i = 0u; i < PER_LANE; i++) {
        let e = plane_offset(chunk, i, pl.lane);
        if (e < p.hw) {
            let a = pl.base + e;
            let xhat = (x[a] - mu) * rs;
            dx[a] += rs * (g * dy[a] - m.x - xhat * m.y);
        }
    }
}
