// Channel concat: y[n, 0..c1, :] = a[n, :, :], y[n, c1..c1+c2, :] = b[n, :, :]   (overwrites y)

// import concat_params, grid_1d

// Params: shaders/concat_params.wgsl.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

fn item(i: u32) {
    let src = concat_source(i);
    if (src.x == 0u) {
        y[i] = a[src.y];
    } else {
        y[i] = b[src.y];
    }
}
