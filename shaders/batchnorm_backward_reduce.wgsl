// BatchNorm training backward, pass 1 of 2: per (chunk, channel) partial sums of dy and of
// dy * xhat (xhat = (x - mean) * rstd), reduced in a fixed tree order (no atomics).
// Layout of `partial`: [2][c][chunks] (sum dy first, then sum dy * xhat).

// import bn_params, norm_backward_io, workgroup_sum

@group(0) @binding(5) var<storage, read_write> partial: array<f32>;
// batchnorm_relu: its output r, whose sign masks dy (r > 0 exactly where the BN output is);
// plain batchnorm binds dy here and ignores it.
@group(0) @binding(6) var<storage, read> r: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    reduce(wid, lid, false);
}

@compute @workgroup_size(256)
fn main_relu(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    reduce(wid, lid, true);
}

fn reduce(wid: vec3<u32>, lid: u32, relu: bool) {
    let k = wid.x;
    let ch = wid.y;
    let mu = mean[ch];
    var acc = vec2<f32>(0.0);
    for (var i = 0u; i < PER_THREAD; i++) {
        let e = k * CHUNK + i * WG + lid;
        if (e < p.m) {
            let a = channel_index(e, ch);
            let g = select(dy[a], select(0.0, dy[a], r[a] > 0.0), relu);
            acc += vec2<f32>(g, g * (x[a] - mu));
        }
    }
    let r = workgroup_sum2(lid, acc);
    if (lid == 0u) {
        partial[ch * p.chunks + k] = r.x;
        partial[(p.c + ch) * p.chunks + k] = r.y * rstd[ch];
    }
}
