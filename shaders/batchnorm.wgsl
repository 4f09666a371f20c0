// BatchNorm training forward, pass 2 of 2: mean and biased variance of the channel from
// batchnorm_stats' partials (summed in chunk order), y = gamma * (x - mean) * invstd + beta
// over the invocation's chunk. The first invocation of chunk 0 stores mean and invstd (for
// backward) and updates the running stats (momentum; the running variance takes the unbiased
// variance, as PyTorch). The `_vec4` entries (hw % 4 == 0) move x and y as vec4s.

// import bn_params, norm_forward_io, norm_moments

@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> running_mean: array<f32>;
@group(0) @binding(5) var<storage, read_write> running_var: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read_write> y4: array<vec4<f32>>;
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

@compute @workgroup_size(256)
fn main_vec4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    normalize4(wid, lid, false);
}

@compute @workgroup_size(256)
fn main_relu_vec4(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    normalize4(wid, lid, true);
}

fn normalize(wid: vec3<u32>, lid: u32, relu: bool) {
    let s = slot(wid, lid);
    // The shift K of batchnorm_stats: the channel's first value.
    let f = channel(wid.x, s, x[s.ch * p.hw]);
    let end = chunk_end(wid.x, p.m, s);
    for (var w = chunk_walk(wid.x, s, p.hw); w.e < end; w = walk_next(w)) {
        let v = (x[w.a] - f.mean) * f.scale + f.shift;
        y[w.a] = select(v, max(v, 0.0), relu);
    }
}

fn normalize4(wid: vec3<u32>, lid: u32, relu: bool) {
    let s = slot(wid, lid);
    let l = p.hw / 4u;
    let f = channel(wid.x, s, x4[s.ch * l].x);
    let end = chunk_end(wid.x, p.m / 4u, s);
    for (var w = chunk_walk(wid.x, s, l); w.e < end; w = walk_next(w)) {
        let v = (x4[w.a] - f.mean) * f.scale + f.shift;
        y4[w.a] = select(v, max(v, vec4<f32>(0.0)), relu);
    }
}

// The channel's affine map y = (x - mean) * scale + shift.
struct Affine {
    mean: f32,
    scale: f32,
    shift: f32,
}

// The channel's statistics from the partials (k0: the stats pass's shift); the first
// invocation of chunk 0 saves them and updates the running ones.
fn channel(k: u32, s: Slot, k0: f32) -> Affine {
    let ch = s.ch;
    var sums = vec2<f32>(0.0);
    for (var q = 0u; q < p.chunks; q++) {
        sums += partial[ch * p.chunks + q];
    }
    let m = f32(p.m);
    let mo = shifted_moments(sums, m, k0, p.eps);
    if (k == 0u && s.lane == 0u && s.valid) {
        save_mean[ch] = mo.mean;
        save_invstd[ch] = mo.rstd;
        let mom = p.momentum;
        running_mean[ch] = (1.0 - mom) * running_mean[ch] + mom * mo.mean;
        running_var[ch] = (1.0 - mom) * running_var[ch] + mom * (mo.ssd / (m - 1.0));
    }
    return Affine(mo.mean, gamma[ch] * mo.rstd, beta[ch]);
}
