// BatchNorm eval forward: y = gamma * (x - running_mean) / sqrt(running_var + eps) + beta.
// The `_vec4` entries (hw % 4 == 0 and fewer than 2^24 vec4s, so udiv is exact) do 4 values
// of a plane per invocation: a vec4 load and store, and the channel from two udivs instead
// of two integer divisions per value (8 scalar divisions per 8 lanes each on llvmpipe).

// import bn_params, norm_forward_io

@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> running_mean: array<f32>;
@group(0) @binding(5) var<storage, read> running_var: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read_write> y4: array<vec4<f32>>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    normalize(gid, false);
}

// The same with ReLU applied to the output (op batchnorm_relu).
@compute @workgroup_size(256)
fn main_relu(@builtin(global_invocation_id) gid: vec3<u32>) {
    normalize(gid, true);
}

@compute @workgroup_size(256)
fn main_vec4(@builtin(global_invocation_id) gid: vec3<u32>) {
    normalize4(gid, false);
}

@compute @workgroup_size(256)
fn main_relu_vec4(@builtin(global_invocation_id) gid: vec3<u32>) {
    normalize4(gid, true);
}

fn normalize(gid: vec3<u32>, relu: bool) {
    let i = flat_index(gid);
    if (i >= p.total) {
        return;
    }
    let ch = (i / p.hw) % p.c;
    let invstd = 1.0 / sqrt(running_var[ch] + p.eps);
    let v = (x[i] - running_mean[ch]) * (gamma[ch] * invstd) + beta[ch];
    y[i] = select(v, max(v, 0.0), relu);
}

fn normalize4(gid: vec3<u32>, relu: bool) {
    let i = flat_index(gid);
    if (i >= p.total / 4u) {
        return;
    }
    let plane = udiv(i, p.hw / 4u);
    let ch = plane - udiv(plane, p.c) * p.c;
    let invstd = 1.0 / sqrt(running_var[ch] + p.eps);
    let v = (x4[i] - running_mean[ch]) * (gamma[ch] * invstd) + beta[ch];
    y4[i] = select(v, max(v, vec4<f32>(0.0)), relu);
}
