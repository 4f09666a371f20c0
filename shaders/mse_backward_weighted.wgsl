// dpred += 2 w[i / chw] (pred - target) / N: the gradient of the min-SNR weighted mean
// (1/N) sum_i w[img(i)] (pred_i - target_i)^2 (see mse.wgsl's `weighted`; accumulates).

// import grid_1d

struct Params {
    total: u32,
    scale: f32, // 2 / N
    chw: u32,   // elements per image
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> pred: array<f32>;
@group(0) @binding(2) var<storage, read> tgt: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read_write> dpred: array<f32>;

fn item(i: u32) {
    dpred[i] += p.scale * w[i / p.chw] * (pred[i] - tgt[i]);
}
