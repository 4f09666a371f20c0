// 2x2 max pooling, stride 2: y[n, c, oy, ox] = max of x[n, c, 2oy..2oy+1, 2ox..2ox+1].
// Ties keep the first element in row-major window order (strict >), as PyTorch.

// Params: shaders/pool_params.wgsl; total = n * c * (h/2) * (w/2) outputs.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i >= p.total) {
        return;
    }
    let wo = p.w / 2u;
    let row = i / wo;          // plane * (h/2) + oy
    let ox = i - row * wo;
    let base = 2u * row * p.w + 2u * ox; // plane * h * w + 2 * oy * w + 2 * ox
    var m = x[base];
    let v01 = x[base + 1u];
    if (v01 > m) { m = v01; }
    let v10 = x[base + p.w];
    if (v10 > m) { m = v10; }
    let v11 = x[base + p.w + 1u];
    if (v11 > m) { m = v11; }
    y[i] = m;
}
