// LayerNorm backward to gamma and beta, pass 2 of 2: each column's 2^sum_shift lanes add
// every (2^sum_shift)-th of its partials in chunk order, then segment_sum2's fixed tree
// (deterministic); the total goes into dgamma[col] and dbeta[col] (accumulating).

// import layer_norm_params, segments

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(3) var<storage, read_write> dbeta: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let s = segment_of(wid, lid, p.sum_shift);
    let col = s.x;
    let live = col < p.c;
    var acc = vec2<f32>(0.0);
    if (live) {
        for (var q = s.y; q < p.chunks; q += 1u << p.sum_shift) {
            acc += partial[q * p.c + col];
        }
    }
    let sums = segment_sum2(lid, acc, p.sum_shift);
    if (live && s.y == 0u) {
        dgamma[col] += sums.x;
        dbeta[col] += sums.y;
    }
}
