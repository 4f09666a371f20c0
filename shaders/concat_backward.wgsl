// Channel concat backward: da += dy[:, 0..c1], db += dy[:, c1..c1+c2]   (one pass, accumulates)

// import concat_params, grid_1d

// Params: shaders/concat_params.wgsl.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> da: array<f32>;
@group(0) @binding(3) var<storage, read_write> db: array<f32>;
@group(0) @binding(1) var<storage, read> dy4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> da4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> db4: array<vec4<f32>>;

fn item(i: u32) {
    let src = concat_source(i, p.hw);
    if (src.x == 0u) {
        da[src.y] += dy[i];
    } else {
        db[src.y] += dy[i];
    }
}

@compute @workgroup_size(256)
fn main_vec4(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i < p.total / 4u) {
        let src = concat_source(i, p.hw / 4u);
        if (src.x == 0u) {
            da4[src.y] += dy4[i];
        } else {
            db4[src.y] += dy4[i];
        }
    }
}
