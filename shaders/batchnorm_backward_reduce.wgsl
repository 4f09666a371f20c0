// BatchNorm training backward, pass 1 of 2: per (chunk, channel) partial sums of dy and of
// dy * xhat (xhat = (x - mean) * invstd), reduced in a fixed tree order (no atomics).
// Layout of `partial`: [2][c][chunks] (sum dy first, then sum dy * xhat).

struct Params {
    n: u32,
    c: u32,
    hw: u32,
    m: u32,
    chunks: u32,
    eps: f32,
    momentum: f32,
    _pad: u32,
}

const PER_THREAD: u32 = 8u;
const CHUNK: u32 = 2048u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> save_mean: array<f32>;
@group(0) @binding(3) var<storage, read> save_invstd: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> partial: array<f32>;

var<workgroup> sh: array<vec2<f32>, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let k = wid.x;
    let ch = wid.y;
    let mean = save_mean[ch];
    var acc = vec2<f32>(0.0);
    for (var i = 0u; i < PER_THREAD; i++) {
        let e = k * CHUNK + i * WG + lid;
        if (e < p.m) {
            let ni = e / p.hw;
            let j = e - ni * p.hw;
            let a = (ni * p.c + ch) * p.hw + j;
            let g = dy[a];
            acc += vec2<f32>(g, g * (x[a] - mean));
        }
    }
    sh[lid] = acc;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if (lid < s) {
            sh[lid] += sh[lid + s];
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        let r = sh[0];
        partial[ch * p.chunks + k] = r.x;
        partial[(p.c + ch) * p.chunks + k] = r.y * save_invstd[ch];
    }
}
