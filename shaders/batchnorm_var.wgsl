// BatchNorm training statistics, pass 2 of 3: the channel mean from pass 1's partials (summed
// in chunk order, identically in every workgroup), then per (chunk, channel) partial sums of
// squared deviations (x - mean)^2. Workgroup (0, ch) stores the mean for pass 3 and backward.

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
@group(0) @binding(2) var<storage, read> partial_sum: array<f32>;
@group(0) @binding(3) var<storage, read_write> save_mean: array<f32>;
@group(0) @binding(4) var<storage, read_write> partial_sq: array<f32>;

var<workgroup> sh: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let k = wid.x;
    let ch = wid.y;
    var total = 0.0;
    for (var q = 0u; q < p.chunks; q++) {
        total += partial_sum[ch * p.chunks + q];
    }
    let mean = total / f32(p.m);
    var acc = 0.0;
    for (var i = 0u; i < PER_THREAD; i++) {
        let e = k * CHUNK + i * WG + lid;
        if (e < p.m) {
            let ni = e / p.hw;
            let j = e - ni * p.hw;
            let d = x[(ni * p.c + ch) * p.hw + j] - mean;
            acc += d * d;
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
        partial_sq[ch * p.chunks + k] = sh[0];
        if (k == 0u) {
            save_mean[ch] = mean;
        }
    }
}
