// dpred += 2 (pred - target) / N   (gradient of mean((pred - target)^2); accumulates; tgt = target)

// import grid_1d

struct Params {
    total: u32,
    scale: f32, // 2 / N
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> pred: array<f32>;
@group(0) @binding(2) var<storage, read> tgt: array<f32>;
@group(0) @binding(3) var<storage, read_write> dpred: array<f32>;

fn item(i: u32) {
    dpred[i] += p.scale * (pred[i] - tgt[i]);
}
