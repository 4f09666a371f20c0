// Classifier-free guidance: eps = eps_u + w (eps_c - eps_u), where the model ran once on a
// doubled batch: eps2[0 .. len) conditional, eps2[len .. 2 len) unconditional.

// import grid_1d

struct Params {
    total: u32, // elements of eps, half of eps2
    w: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> eps2: array<f32>;
@group(0) @binding(2) var<storage, read_write> eps: array<f32>;

fn item(i: u32) {
    let c = eps2[i];
    let u = eps2[i + p.total];
    eps[i] = u + p.w * (c - u);
}
