// Library: the frame of an elementwise activation y = act(x) (overwrites y), with the entry
// point from `grid_1d`. The kernel that imports both defines `fn act(v: f32) -> f32`
// (src/kernels/activation.rs launches it). `main_vec4` does 4 values per invocation, for
// lengths that are a multiple of 4: on llvmpipe a vec4 load and store cost about 2.2x and
// 1.6x one f32 load and store (convprobe micro), for 4 values.

struct Params {
    total: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y4: array<vec4<f32>>;

fn item(i: u32) {
    y[i] = act(x[i]);
}

@compute @workgroup_size(256)
fn main_vec4(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i < p.total / 4u) {
        let v = x4[i];
        y4[i] = vec4<f32>(act(v.x), act(v.y), act(v.z), act(v.w));
    }
}

// #if alone
// What an importer declares (kept only when this library is checked on its own).
fn act(v: f32) -> f32 {
    return v;
}
// #endif
