// GroupNorm backward, pass 3 of 3: with g = gamma * dy and the group means of g and g * xhat
// (coef, from group_norm_backward_sums):
//   dx += rstd * (g - mean(g) - xhat * mean(g * xhat)),  xhat = (x - mean) * rstd.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> rstd: array<f32>;
@group(0) @binding(5) var<storage, read> dy: array<f32>;
@group(0) @binding(6) var<storage, read> coef: array<vec2<f32>>;
@group(0) @binding(7) var<storage, read_write> dx: array<f32>;

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
    let rs = rstd[r];
    let g = gamma[ch];
    let m = coef[r];
    let base = plane * p.hw;
    for (var i = 0u; i < PER_LANE; i++) {
        let e = plane_offset(wid.x, i, s.y);
        if (e < p.hw) {
            let a = base + e;
            let xhat = (x[a] - mu) * rs;
            dx[a] += rs * (g * dy[a] - m.x - xhat * m.y);
        }
    }
}
