// GroupNorm forward, pass 1 of 3: per (plane, chunk) sums of d and d^2 with d = x - K, K the
// first value of the plane's group (shifted data: one read of x gives mean and variance
// without the cancellation of raw sums of squares). Lanes of a plane sum in a fixed tree.
// Layout of `partial`: [n * c][chunks] vec2 (sum d, sum d^2).

// import group_norm_params, segments

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<vec2<f32>>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let pl = plane_of(wid, lid);
    var acc = vec2<f32>(0.0);
    if (pl.live) {
        let k0 = x[pl.group * p.cg * p.hw];
        for (var i = 0u; i < PER_LANE; i++) {
            let e = plane_offset(wid.x, i, pl.lane);
            if (e < p.hw) {
                let d = x[pl.base + e] - k0;
                acc += vec2<f32>(d, d * d);
            }
        }
    }
    let total = segment_sum2(lid, acc, p.shift);
    if (pl.live && pl.lane == 0u) {
        partial[pl.index * p.chunks + wid.x] = total;
    }
}
