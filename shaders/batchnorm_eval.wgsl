// BatchNorm eval forward: y = gamma * (x - running_mean) / sqrt(running_var + eps) + beta.

// import bn_params, norm_forward_io

@group(0) @binding(4) var<storage, read> running_mean: array<f32>;
@group(0) @binding(5) var<storage, read> running_var: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    normalize(gid, false);
}

// The same with ReLU applied to the output (op batchnorm_relu).
@compute @workgroup_size(256)
fn main_relu(@builtin(global_invocation_id) gid: vec3<u32>) {
    normalize(gid, true);
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
