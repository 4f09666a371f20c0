// Library: the frame of an activation's backward pass, dx += act_grad(x, dy). The kernel
// that appends it defines `fn act_grad(v: f32, g: f32) -> f32`, the gradient contribution of
// one element (a function of g, not a factor, so ReLU can drop g instead of multiplying it by
// 0). Accumulates, so gradients of values that fan out add up.

struct Params {
    n: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i >= p.n) {
        return;
    }
    dx[i] += act_grad(x[i], dy[i]);
}
