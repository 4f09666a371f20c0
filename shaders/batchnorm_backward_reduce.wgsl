// BatchNorm training backward, pass 1 of 2: per (chunk, channel) partial sums of dy and of
// dy * xhat (xhat = (x - mean) * rstd), reduced in a fixed tree order (no atomics).
// Layout of `partial`: [2][c][chunks] (sum dy first, then sum dy * xhat).
// The `_vec4` entries (hw % 4 == 0) read vec4s: a lane keeps four sums of each, added
// pairwise before the workgroup's tree.

// import bn_params, norm_backward_io, workgroup_sum

@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> dy4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> partial: array<f32>;
// batchnorm_relu: its output r, whose sign masks dy (r > 0 exactly where the BN output is);
// plain batchnorm binds dy here and ignores it.
@group(0) @binding(6) var<storage, read> r: array<f32>;
@group(0) @binding(6) var<storage, read> r4: array<vec4<f32>>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    reduce(wid, lid, false);
}

@compute @workgroup_size(256)
fn main_relu(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    reduce(wid, lid, true);
}

@compute @workgroup_size(256)
fn main_vec4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    reduce4(wid, lid, false);
}

@compute @workgroup_size(256)
fn main_relu_vec4(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    reduce4(wid, lid, true);
}

fn reduce(wid: vec3<u32>, lid: u32, relu: bool) {
    let s = slot(wid, lid);
    let mu = mean[s.ch];
    var acc = vec2<f32>(0.0);
    let end = chunk_end(wid.x, p.m, s);
    for (var w = chunk_walk(wid.x, s, p.hw); w.e < end; w = walk_next(w)) {
        let a = w.a;
        let g = select(dy[a], select(0.0, dy[a], r[a] > 0.0), relu);
        acc += vec2<f32>(g, g * (x[a] - mu));
    }
    finish(wid, lid, s, acc);
}

fn reduce4(wid: vec3<u32>, lid: u32, relu: bool) {
    let s = slot(wid, lid);
    let mu = mean[s.ch];
    var s1 = vec4<f32>(0.0);
    var s2 = vec4<f32>(0.0);
    let end = chunk_end(wid.x, p.m / 4u, s);
    for (var w = chunk_walk(wid.x, s, p.hw / 4u); w.e < end; w = walk_next(w)) {
        let a = w.a;
        let d = dy4[a];
        let g = select(d, select(vec4<f32>(0.0), d, r4[a] > vec4<f32>(0.0)), relu);
        s1 += g;
        s2 += g * (x4[a] - mu);
    }
    finish(wid, lid, s, vec2<f32>(hsum(s1), hsum(s2)));
}

fn finish(wid: vec3<u32>, lid: u32, s: Slot, acc: vec2<f32>) {
    let k = wid.x;
    let ch = s.ch;
    let t = workgroup_runs_sum2(lid, acc, p.lane_shift);
    if (s.lane == 0u && s.valid) {
        partial[ch * p.chunks + k] = t.x;
        partial[(p.c + ch) * p.chunks + k] = t.y * rstd[ch];
    }
}
