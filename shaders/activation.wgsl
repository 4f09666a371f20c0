// Library: the frame of an elementwise activation y = act(x) (overwrites y), with the entry
// point from `grid_1d`. The kernel that imports both defines `fn act(v: f32) -> f32`
// (src/kernels/activation.rs launches it).

struct Params {
    total: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn item(i: u32) {
    y[i] = act(x[i]);
}

// #if alone
// What an importer declares (kept only when this library is checked on its own).
fn act(v: f32) -> f32 {
    return v;
}
// #endif
