// Classifier-free guidance: eps = eps_u + w (eps_c - eps_u), where the model ran once on a
// doubled batch: eps2[0 .. len) conditional, eps2[len .. 2 len) unconditional.

struct Params {
    len: u32,
    w: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> eps2: array<f32>;
@group(0) @binding(2) var<storage, read_write> eps: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i >= p.len) {
        return;
    }
    let c = eps2[i];
    let u = eps2[i + p.len];
    eps[i] = u + p.w * (c - u);
}
