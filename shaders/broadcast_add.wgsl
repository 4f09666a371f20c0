// y[n, c, s] = x[n, c, s] + v[n, c]   (a per-(image, channel) value broadcast over H*W; overwrites y)

// import grid_1d

struct Params {
    total: u32, // n * c * hw
    hw: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

fn item(i: u32) {
    y[i] = x[i] + v[i / p.hw];
}
