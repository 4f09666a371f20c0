// Library: the frame of an elementwise activation y = act(x) (overwrites y). The kernel that
// appends it defines `fn act(v: f32) -> f32` (src/kernels/activation.rs launches it).

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
    y[i] = act(x[i]);
}
