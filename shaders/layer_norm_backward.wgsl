// LayerNorm backward to the input, one dispatch: with g = gamma * dy, xhat = (x - mean) * rstd
// and row means over its c values (a fixed-tree sum over the row's lanes):
//   dx += rstd * (g - mean(g) - xhat * mean(g * xhat)).

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> rstd: array<f32>;
@group(0) @binding(5) var<storage, read> dy: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let s = segment_of(wid, lid, p.shift);
    let row = s.x;
    let live = row < p.rows;
    let lanes = 1u << p.shift;
    let base = row * p.c;
    var mu = 0.0;
    var rs = 0.0;
    var acc = vec2<f32>(0.0);
    if (live) {
        mu = mean[row];
        rs = rstd[row];
        for (var e = s.y; e < p.c; e += lanes) {
            let g = gamma[e] * dy[base + e];
            acc += vec2<f32>(g, g * (x[base + e] - mu) * rs);
        }
    }
    let sums = segment_sum2(lid, acc, p.shift);
    if (!live) {
        return;
    }
    let m = sums / f32(p.c);
    for (var e = s.y; e < p.c; e += lanes) {
        let a = base + e;
        let xhat = (x[a] - mu) * rs;
        dx[a] += rs * (gamma[e] * dy[a] - m.x - xhat * m.y);
    }
}
