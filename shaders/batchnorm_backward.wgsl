// BatchNorm training backward, pass 2 of 2. With M values per channel, sdy = sum dy and
// sdx = sum dy * xhat (pass 1's partials summed in chunk order):
//   dx += gamma * invstd * (dy - sdy / M - xhat * sdx / M)
//   dgamma += sdx, dbeta += sdy (workgroup (0, ch) only).

// import bn_params, norm_backward_io

@group(0) @binding(5) var<storage, read> gamma: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;
@group(0) @binding(7) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(8) var<storage, read_write> dbeta: array<f32>;
@group(0) @binding(9) var<storage, read> partial: array<f32>;
// batchnorm_relu: its output, whose sign masks dy; plain batchnorm binds dy here (unused).
@group(0) @binding(10) var<storage, read> r: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    apply(wid, lid, false);
}

@compute @workgroup_size(256)
fn main_relu(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    apply(wid, lid, true);
}

fn apply(wid: vec3<u32>, lid: u32, relu: bool) {
    let k = wid.x;
    let ch = wid.y;
    var sdy = 0.0;
    var sdx = 0.0;
    for (var q = 0u; q < p.chunks; q++) {
        sdy += partial[ch * p.chunks + q];
        sdx += partial[(p.c + ch) * p.chunks + q];
    }
    if (k == 0u && lid == 0u) {
        dgamma[ch] += sdx;
        dbeta[ch] += sdy;
    }
    let inv_m = 1.0 / f32(p.m);
    let mu = mean[ch];
    let invstd = rstd[ch];
    let scale = gamma[ch] * invstd;
    let mdy = sdy * inv_m;
    let mdx = sdx * inv_m;
    for (var i = 0u; i < PER_THREAD; i++) {
        let e = k * CHUNK + i * WG + lid;
        if (e < p.m) {
            let a = channel_index(e, ch);
            let xhat = (x[a] - mu) * invstd;
            let g = select(dy[a], select(0.0, dy[a], r[a] > 0.0), relu);
            dx[a] += scale * (g - mdy - xhat * mdx);
        }
    }
}
