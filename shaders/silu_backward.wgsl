// dx += dy * silu'(x), silu'(x) = s * (1 + x * (1 - s)) with s = sigmoid(x). Accumulates.

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
    let v = x[i];
    let s = 1.0 / (1.0 + exp(-v));
    dx[i] += dy[i] * s * (1.0 + v * (1.0 - s));
}
