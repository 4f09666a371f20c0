// BatchNorm training forward, pass 2 of 2: mean and biased variance of the channel from
// batchnorm_stats' partials (summed in chunk order), y = gamma * (x - mean) * invstd + beta
// over this workgroup's chunk. Workgroup (0, ch) stores mean and invstd (for backward) and
// updates the running stats (momentum; the running variance takes the unbiased variance, as
// PyTorch).

// import bn_params, norm_forward_io, norm_moments

@group(0) @binding(4) var<storage, read_write> running_mean: array<f32>;
@group(0) @binding(5) var<storage, read_write> running_var: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;
@group(0) @binding(7) var<storage, read_write> save_mean: array<f32>;
@group(0) @binding(8) var<storage, read_write> save_invstd: array<f32>;
@group(0) @binding(9) var<storage, read> partial: array<vec2<f32>>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    normalize(wid, lid, false);
}

// The same with ReLU applied to the output (op batchnorm_relu, src/kernels/batchnorm_relu.rs).
@compute @workgroup_size(256)
fn main_relu(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    normalize(wid, lid, true);
}

fn normalize(wid: vec3<u32>, lid: u32, relu: bool) {
    let k = wid.x;
    let ch = wid.y;
    var sums = vec2<f32>(0.0);
    for (var q = 0u; q < p.chunks; q++) {
        sums += partial[ch * p.chunks + q];
    }
    let m = f32(p.m);
    // The shift K of batchnorm_stats: the channel's first value.
    let mo = shifted_moments(sums, m, x[ch * p.hw], p.eps);
    let mean = mo.mean;
    let scale = gamma[ch] * mo.rstd;
    let shift = beta[ch];
    if (k == 0u && lid == 0u) {
        save_mean[ch] = mean;
        save_invstd[ch] = mo.rstd;
        let mom = p.momentum;
        running_mean[ch] = (1.0 - mom) * running_mean[ch] + mom * mean;
        running_var[ch] = (1.0 - mom) * running_var[ch] + mom * (mo.ssd / (m - 1.0));
    }
    for (var i = 0u; i < PER_THREAD; i++) {
        let e = k * CHUNK + i * WG + lid;
        if (e < p.m) {
            let a = channel_index(e, ch);
            let v = (x[a] - mean) * scale + shift;
            y[a] = select(v, max(v, 0.0), relu);
        }
    }
}
