// BatchNorm training statistics, pass 1 of 2: per (chunk, channel) sums of d and d^2 with
// d = x - K, K the channel's first value (the shifted-data algorithm: one read of x gives
// mean and variance without the cancellation of raw sums of squares).
// Layout of `partial`: [c][chunks] vec2 (sum d, sum d^2). The normalise pass combines them.

// import bn_params, workgroup_sum

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<vec2<f32>>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let k = wid.x;
    let ch = wid.y;
    let shift = x[ch * p.hw];
    var acc = vec2<f32>(0.0);
    for (var i = 0u; i < PER_THREAD; i++) {
        let e = k * CHUNK + i * WG + lid;
        if (e < p.m) {
            let d = x[channel_index(e, ch)] - shift;
            acc += vec2<f32>(d, d * d);
        }
    }
    let total = workgroup_sum2(lid, acc);
    if (lid == 0u) {
        partial[ch * p.chunks + k] = total;
    }
}
