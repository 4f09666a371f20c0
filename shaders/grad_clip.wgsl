// Clip gradients by their global L2 norm: g *= min(1, max_norm / (norm + 1e-6)).
// `mean_sq` is mean(g^2) over all `n` entries (the MSE kernel's two-pass reduction, entry
// `squares`), so norm = sqrt(n * mean_sq). Writes the norm to `norm_out` (thread 0); the tests
// compare it with the CPU reference (the trainer does not read it back).

struct Params {
    n: u32,
    max_norm: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> mean_sq: array<f32>;
@group(0) @binding(2) var<storage, read_write> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> norm_out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    let norm = sqrt(f32(p.n) * mean_sq[0]);
    if (i == 0u) {
        norm_out[0] = norm;
    }
    if (i >= p.n) {
        return;
    }
    g[i] *= min(1.0, p.max_norm / (norm + 1e-6));
}
