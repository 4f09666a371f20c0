// Channel concat backward: da += dy[:, 0..c1], db += dy[:, c1..c1+c2]   (one pass, accumulates)

// import concat_params, grid_1d

// Params: shaders/concat_params.wgsl.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> da: array<f32>;
@group(0) @binding(3) var<storage, read_write> db: array<f32>;

fn item(i: u32) {
    let src = concat_source(i);
    if (src.x == 0u) {
        da[src.y] += dy[i];
    } else {
        db[src.y] += dy[i];
    }
}
