// GroupNorm forward, pass 3 of 3: y = (x - mean) * rstd * gamma + beta with the statistics of
// the value's (image, group) from group_norm_moments and gamma, beta of its channel.
// Overwrites y.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read> mean: array<f32>;
@group(0) @binding(5) var<storage, read> rstd: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let s = segment_of(wid, lid, p.shift);
    let plane = s.x;
    if (plane >= p.n * p.c) {
        return;
    }
    let r = udiv(plane, p.cg);
    let ch = plane - udiv(plane, p.c) * p.c;
    let mu = mean[r];
    let scale = rstd[r] * gamma[ch];
    let b = beta[ch];
    let base = plane * p.hw;
    for (var i = 0u; i < PER_LANE; i++) {
        let e = plane_offset(wid.x, i, s.y);
        if (e < p.hw) {
            y[base + e] = (x[base + e] - mu) * scale + b;
        }
    }
}
