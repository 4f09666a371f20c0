// BatchNorm training statistics, pass 1 of 3: per (chunk, channel) partial sums of x.
// Workgroup (k, ch) reduces elements [k*CHUNK, (k+1)*CHUNK) of channel ch's N*HW values in a
// fixed tree order, so the result is deterministic (no atomics).

struct Params {
    n: u32,
    c: u32,
    hw: u32,
    m: u32,       // n * hw, values per channel
    chunks: u32,  // workgroups per channel
    eps: f32,
    momentum: f32,
    _pad: u32,
}

const PER_THREAD: u32 = 8u;
const CHUNK: u32 = 2048u; // WG * PER_THREAD, must match BN_CHUNK in src/kernels/batchnorm.rs

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;

var<workgroup> sh: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let k = wid.x;
    let ch = wid.y;
    var acc = 0.0;
    for (var i = 0u; i < PER_THREAD; i++) {
        let e = k * CHUNK + i * WG + lid;
        if (e < p.m) {
            let ni = e / p.hw;
            let j = e - ni * p.hw;
            acc += x[(ni * p.c + ch) * p.hw + j];
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
        partial[ch * p.chunks + k] = sh[0];
    }
}
