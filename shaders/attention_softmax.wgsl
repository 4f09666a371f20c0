// The row-wise parts of multi-head self-attention (launchers: src/kernels/attention.rs).
//   softmax  probs[row, :] = softmax(probs[row, :]) in place, one invocation per row of `len`
//            (max, then exp and sum, then scale: fixed order, no reduction across lanes)
//   row_dot  rowdot[z, i] = sum_t dout[image, i, head*d + t] * o[image, i, head*d + t], the
//            row term sum_j P dP of the softmax backward (equal to dO . O since O = P V), for
//            z = image * heads + head; rows on the grid's x axis, z on its y axis.

struct Params {
    rows: u32, // softmax: rows; row_dot: L
    len: u32, // softmax: row length; row_dot: C
    heads: u32,
    d: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> probs: array<f32>;

@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read> o: array<f32>;
@group(0) @binding(3) var<storage, read_write> rowdot: array<f32>;

@compute @workgroup_size(256)
fn softmax(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row = flat_index(gid);
    if (row >= p.rows) {
        return;
    }
    let base = row * p.len;
    var m = probs[base];
    for (var j = 1u; j < p.len; j++) {
        m = max(m, probs[base + j]);
    }
    var sum = 0.0;
    for (var j = 0u; j < p.len; j++) {
        let e = exp(probs[base + j] - m);
        probs[base + j] = e;
        sum += e;
    }
    let inv = 1.0 / sum;
    for (var j = 0u; j < p.len; j++) {
        probs[base + j] *= inv;
    }
}

@compute @workgroup_size(256)
fn row_dot(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= p.rows) {
        return;
    }
    let z = gid.y;
    let image = udiv(z, p.heads);
    let base = (image * p.rows + i) * p.len + (z - image * p.heads) * p.d;
    var s = 0.0;
    for (var t = 0u; t < p.d; t++) {
        s += dout[base + t] * o[base + t];
    }
    rowdot[z * p.rows + i] = s;
}
