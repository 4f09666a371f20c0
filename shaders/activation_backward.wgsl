// Library: the frame of an activation's backward pass, dx += act_grad(x, dy), with the entry
// point from `grid_1d`. The kernel that imports both defines `fn act_grad(v: f32, g: f32) -> f32`, the gradient contribution of
// one element (a function of g, not a factor, so ReLU can drop g instead of multiplying it by
// 0). Accumulates, so gradients of values that fan out add up. `main_vec4`: 4 values per
// invocation for lengths that are a multiple of 4 (as in the `activation` library).

struct Params {
    total: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> dy4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> dx4: array<vec4<f32>>;

fn item(i: u32) {
    dx[i] += act_grad(x[i], dy[i]);
}

@compute @workgroup_size(256)
fn main_vec4(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i < p.total / 4u) {
        let v = x4[i];
        let g = dy4[i];
        let d = vec4<f32>(act_grad(v.x, g.x), act_grad(v.y, g.y), act_grad(v.z, g.z), act_grad(v.w, g.w));
        dx4[i] += d;
    }
}

// #if alone
// What an importer declares (kept only when this library is checked on its own).
fn act_grad(v: f32, g: f32) -> f32 {
    return g;
}
// #endif
