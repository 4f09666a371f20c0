// 2x2 max pooling, stride 2: y[n, c, oy, ox] = max of x[n, c, 2oy..2oy+1, 2ox..2ox+1]
// (the window and its tie rule: shaders/maxpool_window.wgsl).

// import pool_params, maxpool_window, grid_1d

// Params: shaders/pool_params.wgsl; total = n * c * (h/2) * (w/2) outputs.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn item(i: u32) {
    y[i] = window_max(i).m;
}
