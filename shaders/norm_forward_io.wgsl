// Library: the bindings every norm's normalising pass starts with (batchnorm, batchnorm_eval,
// group_norm, layer_norm): its Params (from the op's own params library), x and the affine
// gamma, beta per channel. The kernel declares its outputs from binding 4 on.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;

// #if alone
// What an importer declares (kept only when this library is checked on its own).
struct Params {
    n: u32,
}
// #endif
