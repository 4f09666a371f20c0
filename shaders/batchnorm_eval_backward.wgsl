// Backward of eval-mode BatchNorm (running statistics frozen), input gradient:
//   y = gamma (x - running_mean) invstd + beta, invstd = 1 / sqrt(running_var + eps)
//   dx += gamma invstd dy    (accumulates)
// One invocation per element with straight-line loads (as batchnorm_eval): a grid per
// (image, channel) plane left most lanes idle at the 7x7 layers.
// `main_vec4` (hw % 4 == 0, fewer than 2^24 vec4s): 4 values of a plane per invocation, the
// channel from two udivs (as batchnorm_eval's).
// The parameter gradients are `batchnorm_eval_backward_params`. Params: bn_params.wgsl.

// import bn_params

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> running_var: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> dy4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx4: array<vec4<f32>>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i >= p.total) {
        return;
    }
    let ch = (i / p.hw) % p.c;
    dx[i] += gamma[ch] / sqrt(running_var[ch] + p.eps) * dy[i];
}

@compute @workgroup_size(256)
fn main_vec4(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i >= p.total / 4u) {
        return;
    }
    let plane = udiv(i, p.hw / 4u);
    let ch = plane - udiv(plane, p.c) * p.c;
    dx4[i] += gamma[ch] / sqrt(running_var[ch] + p.eps) * dy4[i];
}
