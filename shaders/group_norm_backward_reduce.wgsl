// GroupNorm backward, pass 1 of 3: per (plane, chunk) sums of dy and dy * xhat, with
// xhat = (x - mean) * rstd of the plane's group. Per plane they give both the channel sums
// (dbeta, dgamma) and, weighted by gamma, the group sums of dL/dxhat and dL/dxhat * xhat.
// Layout of `partial`: [n * c][chunks] vec2 (sum dy, sum dy * xhat).

// import group_norm_params, norm_backward_io, segments

@group(0) @binding(5) var<storage, read_write> partial: array<vec2<f32>>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let pl = plane_of(wid, lid);
    var acc = vec2<f32>(0.0);
    if (pl.live) {
        let mu = mean[pl.group];
        for (var i = 0u; i < PER_LANE; i++) {
            let e = plane_offset(wid.x, i, pl.lane);
            if (e < p.hw) {
                let g = dy[pl.base + e];
                acc += vec2<f32>(g, g * (x[pl.base + e] - mu));
            }
        }
    }
    let total = segment_sum2(lid, acc, p.shift);
    if (pl.live && pl.lane == 0u) {
        partial[pl.index * p.chunks + wid.x] = vec2<f32>(total.x, total.y * rstd[pl.group]);
    }
}
