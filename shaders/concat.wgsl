// Channel concat: y[n, 0..c1, :] = a[n, :, :], y[n, c1..c1+c2, :] = b[n, :, :]   (overwrites y)

// import concat_params, grid_1d

// Params: shaders/concat_params.wgsl.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> y4: array<vec4<f32>>;

fn item(i: u32) {
    let src = concat_source(i, p.hw);
    if (src.x == 0u) {
        y[i] = a[src.y];
    } else {
        y[i] = b[src.y];
    }
}

@compute @workgroup_size(256)
fn main_vec4(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i < p.total / 4u) {
        let src = concat_source(i, p.hw / 4u);
        if (src.x == 0u) {
            y4[i] = a4[src.y];
        } else {
            y4[i] = b4[src.y];
        }
    }
}
