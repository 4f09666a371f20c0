// Class conditioning: out[i, :] = temb[i, :] + table[y[i], :]. Row `classes` of the table is
// the learned "null" label used for classifier-free guidance.

struct Params {
    n: u32,
    d: u32,
    rows: u32, // classes + 1
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> temb: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<u32>;
@group(0) @binding(3) var<storage, read> table: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i >= p.n * p.d) {
        return;
    }
    let row = min(y[i / p.d], p.rows - 1u);
    out[i] = temb[i] + table[row * p.d + i % p.d];
}
