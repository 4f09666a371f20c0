// dx += dy * gelu'(x), gelu'(x) = Phi(x) + x * exp(-x^2 / 2) / sqrt(2 pi). Accumulates.

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
    let pdf = 0.39894228040143268 * exp(-0.5 * v * v);
    dx[i] += dy[i] * (normal_cdf(v) + v * pdf);
}
