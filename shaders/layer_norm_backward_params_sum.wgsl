// LayerNorm backward to gamma and beta, pass 2 of 2: workgroup col adds its column's
// partials (each lane every 256th chunk in order, then workgroup_sum2's fixed tree:
// deterministic) into dgamma[col] and dbeta[col] (accumulating).

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(3) var<storage, read_write> dbeta: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let col = wid.x + wid.y * GRID_ROW;
    if (col >= p.c) {
        return;
    }
    var acc = vec2<f32>(0.0);
    for (var q = lid; q < p.chunks; q += WG) {
        acc += partial[q * p.c + col];
    }
    let sums = workgroup_sum2(lid, acc);
    if (lid == 0u) {
        dgamma[col] += sums.x;
        dbeta[col] += sums.y;
    }
}
