// GroupNorm backward, pass 2 of 3, from group_norm_backward_reduce's per-plane partials.
// Workgroups 0 .. n * groups: group r's means over its M = cg * hw values of
// dL/dxhat = gamma * dy and of dL/dxhat * xhat, into coef[r] for the dx pass.
// The next c workgroups: channel ch's dbeta += sum dy, dgamma += sum dy * xhat over images.
// Each lane adds its share in order, then workgroup_sum2's fixed tree: deterministic.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> partial: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> coef: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(5) var<storage, read_write> dbeta: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let idx = wid.x + wid.y * GRID_ROW;
    let rows = p.n * p.groups;
    if (idx >= rows + p.c) {
        return;
    }
    var acc = vec2<f32>(0.0);
    if (idx < rows) {
        // Lanes take the group's planes (channels c0 + j), each with its chunks in order.
        let c0 = (idx - udiv(idx, p.groups) * p.groups) * p.cg;
        for (var j = lid; j < p.cg; j += WG) {
            let g = gamma[c0 + j];
            let base = (idx * p.cg + j) * p.chunks;
            for (var k = 0u; k < p.chunks; k++) {
                acc += g * partial[base + k];
            }
        }
    } else {
        // Lanes take the images, each with the channel's chunks in order.
        let ch = idx - rows;
        for (var ni = lid; ni < p.n; ni += WG) {
            let base = (ni * p.c + ch) * p.chunks;
            for (var k = 0u; k < p.chunks; k++) {
                acc += partial[base + k];
            }
        }
    }
    let sums = workgroup_sum2(lid, acc);
    if (lid == 0u) {
        if (idx < rows) {
            coef[idx] = sums / f32(p.cg * p.hw);
        } else {
            dbeta[idx - rows] += sums.x;
            dgamma[idx - rows] += sums.y;
        }
    }
}
