// GroupNorm backward, pass 1 of 3: per (plane, chunk) sums of dy and dy * xhat, with
// xhat = (x - mean) * rstd of the plane's group. Per plane they give both the channel sums
// (dbeta, dgamma) and, weighted by gamma, the group sums of dL/dxhat and dL/dxhat * xhat.
// Layout of `partial`: [n * c][chunks] vec2 (sum dy, sum dy * xhat).

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> rstd: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> partial: array<vec2<f32>>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let s = segment_of(wid, lid, p.shift);
    let plane = s.x;
    let live = plane < p.n * p.c;
    var acc = vec2<f32>(0.0);
    var r = 0u;
    if (live) {
        r = udiv(plane, p.cg);
        let mu = mean[r];
        let base = plane * p.hw;
        for (var i = 0u; i < PER_LANE; i++) {
            let e = plane_offset(wid.x, i, s.y);
            if (e < p.hw) {
                let g = dy[base + e];
                acc += vec2<f32>(g, g * (x[base + e] - mu));
            }
        }
    }
    let total = segment_sum2(lid, acc, p.shift);
    if (live && s.y == 0u) {
        partial[plane * p.chunks + wid.x] = vec2<f32>(total.x, total.y * rstd[r]);
    }
}
