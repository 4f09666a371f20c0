// Channel concat: y[n, 0..c1, :] = a[n, :, :], y[n, c1..c1+c2, :] = b[n, :, :]   (overwrites y)

// Params: shaders/concat_params.wgsl.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i >= p.total) {
        return;
    }
    let at = concat_split(i);
    let ni = at.x;
    let ch = at.y;
    let s = at.z;
    if (ch < p.c1) {
        y[i] = a[(ni * p.c1 + ch) * p.hw + s];
    } else {
        y[i] = b[(ni * p.c2 + (ch - p.c1)) * p.hw + s];
    }
}
