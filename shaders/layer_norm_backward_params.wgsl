// LayerNorm backward to gamma and beta, pass 1 of 2: invocation (chunk, col) sums
// dy * xhat and dy of column col over the chunk's rows in order (reads along a row are
// consecutive across invocations). Layout of `partial`: [chunks][c] vec2.

// import layer_norm_params, norm_backward_io

@group(0) @binding(5) var<storage, read_write> partial: array<vec2<f32>>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = flat_index(gid);
    if (t >= p.chunks * p.c) {
        return;
    }
    let chunk = udiv(t, p.c);
    let col = t - chunk * p.c;
    let r0 = chunk * p.chunk_rows;
    let r1 = min(r0 + p.chunk_rows, p.rows);
    var acc = vec2<f32>(0.0);
    for (var r = r0; r < r1; r++) {
        let a = r * p.c + col;
        let g = dy[a];
        acc += vec2<f32>(g * (x[a] - mean[r]) * rstd[r], g);
    }
    partial[t] = acc;
}
