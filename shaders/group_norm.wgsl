// GroupNorm forward, pass 3 of 3: y = (x - mean) * rstd * gamma + beta with the statistics of
// the value's (image, group) from group_norm_moments and gamma, beta of its channel.
// Overwrites y.

@group(0) @binding(4) var<storage, read> mean: array<f32>;
@group(0) @binding(5) var<storage, read> rstd: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let pl = plane_of(wid, lid);
    if (!pl.live) {
        return;
    }
    let mu = mean[pl.group];
    let scale = rstd[pl.group] * gamma[pl.channel];
    let b = beta[pl.channel];
    for (var i = 0u; i < PER_LANE; i++) {
        let e = plane_offset(wid.x, i, pl.lane);
        if (e < p.hw) {
            y[pl.base + e] = (x[pl.base + e] - mu) * scale + b;
        }
    }
}
