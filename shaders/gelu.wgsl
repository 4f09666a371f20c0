// y = gelu(x) = x * Phi(x), the exact (erf) form, PyTorch's default approximate='none'.
// Phi: shaders/erf.wgsl.

struct Params {
    n: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i >= p.n) {
        return;
    }
    let v = x[i];
    y[i] = v * normal_cdf(v);
}
