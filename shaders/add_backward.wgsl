// Backward of y = a + b: da += dy and db += dy (entry `main` from `grid_1d`, dy read once), or only
// da += dy (entry `single`: one input needs no gradient, or both share one buffer and it
// runs twice). Accumulates.

// import grid_1d

struct Params {
    total: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> da: array<f32>;
@group(0) @binding(3) var<storage, read_write> db: array<f32>;

fn item(i: u32) {
    let g = dy[i];
    da[i] += g;
    db[i] += g;
}

@compute @workgroup_size(256)
fn single(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i >= p.total) {
        return;
    }
    da[i] += dy[i];
}
