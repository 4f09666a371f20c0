// BatchNorm training statistics, pass 1 of 2: per (chunk, channel) sums of d and d^2 with
// d = x - K, K the channel's first value (the shifted-data algorithm: one read of x gives
// mean and variance without the cancellation of raw sums of squares).
// Layout of `partial`: [c][chunks] vec2 (sum d, sum d^2). The normalise pass combines them.
// `main_vec4` (hw % 4 == 0) reads x as vec4s: a lane keeps four sums of each, added pairwise
// before the workgroup's tree.

// import bn_params, workgroup_sum

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> partial: array<vec2<f32>>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let s = slot(wid, lid);
    let shift = x[s.ch * p.hw];
    var acc = vec2<f32>(0.0);
    let end = chunk_end(wid.x, p.m, s);
    for (var w = chunk_walk(wid.x, s, p.hw); w.e < end; w = walk_next(w)) {
        let d = x[w.a] - shift;
        acc += vec2<f32>(d, d * d);
    }
    finish(wid, lid, s, acc);
}

@compute @workgroup_size(256)
fn main_vec4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let s = slot(wid, lid);
    let l = p.hw / 4u;
    let shift = x4[s.ch * l].x;
    var s1 = vec4<f32>(0.0);
    var s2 = vec4<f32>(0.0);
    let end = chunk_end(wid.x, p.m / 4u, s);
    for (var w = chunk_walk(wid.x, s, l); w.e < end; w = walk_next(w)) {
        let d = x4[w.a] - shift;
        s1 += d;
        s2 += d * d;
    }
    finish(wid, lid, s, vec2<f32>(hsum(s1), hsum(s2)));
}

fn finish(wid: vec3<u32>, lid: u32, s: Slot, acc: vec2<f32>) {
    let total = workgroup_runs_sum2(lid, acc, p.lane_shift);
    if (s.lane == 0u && s.valid) {
        partial[s.ch * p.chunks + wid.x] = total;
    }
}
