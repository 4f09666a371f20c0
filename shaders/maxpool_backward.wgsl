// 2x2 max pooling backward: dx[argmax] += dy, with the argmax recomputed from x (first element
// in row-major window order on ties, as the forward). Windows are disjoint, so each thread
// owns its four dx elements and no atomics are needed.

// Params: shaders/pool_params.wgsl; total = n * c * (h/2) * (w/2) windows.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i >= p.total) {
        return;
    }
    let wo = p.w / 2u;
    let row = i / wo;
    let ox = i - row * wo;
    let base = 2u * row * p.w + 2u * ox;
    var m = x[base];
    var at = base;
    let v01 = x[base + 1u];
    if (v01 > m) { m = v01; at = base + 1u; }
    let v10 = x[base + p.w];
    if (v10 > m) { m = v10; at = base + p.w; }
    let v11 = x[base + p.w + 1u];
    if (v11 > m) { m = v11; at = base + p.w + 1u; }
    dx[at] += dy[i];
}
