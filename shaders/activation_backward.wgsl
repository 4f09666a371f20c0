// Library: the frame of an activation's backward pass, dx += act_grad(x, dy), with the entry
// point from `grid_1d`. The kernel that imports both defines `fn act_grad(v: f32, g: f32) -> f32`, the gradient contribution of
// one element (a function of g, not a factor, so ReLU can drop g instead of multiplying it by
// 0). Accumulates, so gradients of values that fan out add up.

struct Params {
    total: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

fn item(i: u32) {
    dx[i] += act_grad(x[i], dy[i]);
}

// #if alone
// What an importer declares (kept only when this library is checked on its own).
fn act_grad(v: f32, g: f32) -> f32 {
    return g;
}
// #endif
