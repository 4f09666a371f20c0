// GroupNorm forward, pass 2 of 3: the mean and 1 / sqrt(biased variance + eps) of each
// (image, group) r from the partials of its planes (its cg * chunks partials are
// consecutive): each of the group's 2^gshift lanes adds every (2^gshift)-th partial in
// order, then segment_sum2's fixed tree. Deterministic.

// import group_norm_params, norm_moments, segments

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> partial: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> mean: array<f32>;
@group(0) @binding(4) var<storage, read_write> rstd: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let s = segment_of(wid, lid, p.gshift);
    let r = s.x;
    let live = r < p.n * p.groups;
    let count = p.cg * p.chunks;
    var acc = vec2<f32>(0.0);
    if (live) {
        for (var q = s.y; q < count; q += 1u << p.gshift) {
            acc += partial[r * count + q];
        }
    }
    let sums = segment_sum2(lid, acc, p.gshift);
    if (live && s.y == 0u) {
        // The shift K of group_norm_stats: the group's first value.
        let mo = shifted_moments(sums, f32(p.cg * p.hw), x[r * p.cg * p.hw], p.eps);
        mean[r] = mo.mean;
        rstd[r] = mo.rstd;
    }
}
