// y = a + b, elementwise over equal shapes (residual connections). Overwrites y.

// import grid_1d

struct Params {
    total: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

fn item(i: u32) {
    y[i] = a[i] + b[i];
}
