// dlogits[n, k] += (softmax[n, k] - [k == labels[n]]) / N, one invocation per element;
// softmax is exp(logp) from the forward pass (gradient of the mean cross-entropy; accumulates).

// import grid_1d

struct Params {
    total: u32, // rows * classes
    classes: u32,
    inv_rows: f32, // 1 / N
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logp: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> dlogits: array<f32>;

fn item(i: u32) {
    let n = i / p.classes;
    let k = i - n * p.classes;
    let y = min(labels[n], p.classes - 1u);
    let onehot = select(0.0, 1.0, k == y);
    dlogits[i] += p.inv_rows * (exp(logp[i]) - onehot);
}
