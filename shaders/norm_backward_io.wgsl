// Library: the bindings every norm backward pass that walks the values starts with
// (batchnorm, group_norm, layer_norm): its Params (from the op's own params library), x,
// the mean and rstd = 1 / sqrt(biased variance + eps) the forward saved per population
// (channel, (image, group) or row), and dy. xhat = (x - mean) * rstd. The kernel declares
// the rest from binding 5 on.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> rstd: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;

// #if alone
// What an importer declares (kept only when this library is checked on its own).
struct Params {
    n: u32,
}
// #endif
