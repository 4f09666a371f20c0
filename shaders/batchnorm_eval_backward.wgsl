// Backward of eval-mode BatchNorm (running statistics frozen), input gradient:
//   y = gamma (x - running_mean) invstd + beta, invstd = 1 / sqrt(running_var + eps)
//   dx += gamma invstd dy    (accumulates)
// Grid: x = quads of 4 consecutive elements within one (image, channel) plane, y = plane, so
// the channel's scale is read once per invocation and no index is divided.
// The parameter gradients are `batchnorm_eval_backward_params`.

struct Params {
    c: u32,
    hw: u32,
    planes: u32, // n * c
    quads: u32,  // ceil(hw / 4)
    eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> running_var: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let plane = gid.y;
    let q = gid.x;
    if (plane >= p.planes || q >= p.quads) {
        return;
    }
    let ch = plane % p.c;
    let s = gamma[ch] / sqrt(running_var[ch] + p.eps);
    let j = 4u * q;
    let e = plane * p.hw + j;
    if (j + 3u < p.hw) {
        dx[e] += s * dy[e];
        dx[e + 1u] += s * dy[e + 1u];
        dx[e + 2u] += s * dy[e + 2u];
        dx[e + 3u] += s * dy[e + 3u];
    } else {
        for (var i = 0u; i < 3u; i++) {
            if (j + i < p.hw) {
                dx[e + i] += s * dy[e + i];
            }
        }
    }
}
