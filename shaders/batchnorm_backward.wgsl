// BatchNorm training backward, pass 2 of 2. With M values per channel, sdy = sum dy and
// sdx = sum dy * xhat (pass 1's partials summed in chunk order):
//   dx += gamma * invstd * (dy - sdy / M - xhat * sdx / M)
//   dgamma += sdx, dbeta += sdy (once per channel: the first invocation of its chunk 0).
// The `_vec4` entries (hw % 4 == 0) move x, dy, r and dx as vec4s.

// import bn_params, norm_backward_io

@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> dy4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> gamma: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx4: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(8) var<storage, read_write> dbeta: array<f32>;
@group(0) @binding(9) var<storage, read> partial: array<f32>;
// batchnorm_relu: its output, whose sign masks dy; plain batchnorm binds dy here (unused).
@group(0) @binding(10) var<storage, read> r: array<f32>;
@group(0) @binding(10) var<storage, read> r4: array<vec4<f32>>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    apply(wid, lid, false);
}

@compute @workgroup_size(256)
fn main_relu(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    apply(wid, lid, true);
}

@compute @workgroup_size(256)
fn main_vec4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    apply4(wid, lid, false);
}

@compute @workgroup_size(256)
fn main_relu_vec4(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    apply4(wid, lid, true);
}

fn apply(wid: vec3<u32>, lid: u32, relu: bool) {
    let s = slot(wid, lid);
    let f = channel(wid.x, s);
    let end = chunk_end(wid.x, p.m, s);
    for (var w = chunk_walk(wid.x, s, p.hw); w.e < end; w = walk_next(w)) {
        let a = w.a;
        let xhat = (x[a] - f.mean) * f.invstd;
        let g = select(dy[a], select(0.0, dy[a], r[a] > 0.0), relu);
        dx[a] += f.scale * (g - f.mdy - xhat * f.mdx);
    }
}

fn apply4(wid: vec3<u32>, lid: u32, relu: bool) {
    let s = slot(wid, lid);
    let f = channel(wid.x, s);
    let end = chunk_end(wid.x, p.m / 4u, s);
    for (var w = chunk_walk(wid.x, s, p.hw / 4u); w.e < end; w = walk_next(w)) {
        let a = w.a;
        let xhat = (x4[a] - f.mean) * f.invstd;
        let d = dy4[a];
        let g = select(d, select(vec4<f32>(0.0), d, r4[a] > vec4<f32>(0.0)), relu);
        dx4[a] += f.scale * (g - f.mdy - xhat * f.mdx);
    }
}

struct Channel {
    mean: f32,
    invstd: f32,
    scale: f32, // gamma * invstd
    mdy: f32, // sdy / M
    mdx: f32, // sdx / M
}

// The channel's sums from the partials; the first invocation of chunk 0 adds them to
// dgamma and dbeta.
fn channel(k: u32, s: Slot) -> Channel {
    let ch = s.ch;
    var sdy = 0.0;
    var sdx = 0.0;
    for (var q = 0u; q < p.chunks; q++) {
        sdy += partial[ch * p.chunks + q];
        sdx += partial[(p.c + ch) * p.chunks + q];
    }
    if (k == 0u && s.lane == 0u && s.valid) {
        dgamma[ch] += sdx;
        dbeta[ch] += sdy;
    }
    let inv_m = 1.0 / f32(p.m);
    let invstd = rstd[ch];
    return Channel(mean[ch], invstd, gamma[ch] * invstd, sdy * inv_m, sdx * inv_m);
}
