// 2x2 max pooling backward: dx[argmax] += dy, with the argmax recomputed from x by the
// forward's own window code (shaders/maxpool_window.wgsl). Windows are disjoint, so each
// thread owns its four dx elements and no atomics are needed.

// import pool_params, maxpool_window, grid_1d

// Params: shaders/pool_params.wgsl; total = n * c * (h/2) * (w/2) windows.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

fn item(i: u32) {
    dx[window_max(i).at] += dy[i];
}
