// Channel concat backward: da += dy[:, 0..c1], db += dy[:, c1..c1+c2]   (one pass, accumulates)

// Params: shaders/concat_params.wgsl.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> da: array<f32>;
@group(0) @binding(3) var<storage, read_write> db: array<f32>;

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
        let j = (ni * p.c1 + ch) * p.hw + s;
        da[j] += dy[i];
    } else {
        let j = (ni * p.c2 + (ch - p.c1)) * p.hw + s;
        db[j] += dy[i];
    }
}
