// The row-wise parts of multi-head self-attention (launchers: src/kernels/attention/).
//   softmax             P = softmax of each row of S, both [z, L, L] textures (layout:
//                       shaders/attention_texels.wgsl); S holds -3e38 past column L, so P is
//                       zero there. One invocation per 4 rows (max, then sum of exp, then
//                       scale: fixed order, no reduction across lanes).
//   row_dot             rowdot[z, i] = sum_t dout[image, i, head*d + t] * o[image, i, head*d + t],
//                       the row term sum_j P dP of the softmax backward (equal to dO . O since
//                       O = P V); rows on the grid's x axis, z on its y axis.

// import attention_texels

struct Params {
    l: u32,
    l4: u32, // ceil(l / 4): texels per row, and 4-row groups per z
    layer_h: u32,
    heads: u32,
    c: u32, // row_dot: channels of dout and o
    d: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
// softmax
@group(0) @binding(1) var s_in: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(2) var p_out: texture_storage_2d_array<rgba32float, write>;
// row_dot
@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read> o: array<f32>;
@group(0) @binding(3) var<storage, read_write> rowdot: array<f32>;

struct Rows {
    z: u32,
    i0: u32,
    // texture (y, layer) of rows i0 .. i0 + 3 (clamped to row L - 1)
    at: array<vec2<u32>, 4>,
    // 1 / sum of exp, and the max, per row
    inv: vec4<f32>,
    m: vec4<f32>,
}

fn rows_of(gid: vec3<u32>) -> Rows {
    var rs: Rows;
    rs.z = gid.y;
    rs.i0 = gid.x * 4u;
    for (var r = 0u; r < 4u; r++) {
        rs.at[r] = texel_row(rs.z * p.l + min(rs.i0 + r, p.l - 1u), p.layer_h);
    }
    return rs;
}

fn load(rs: Rows, r: u32, t4: u32) -> vec4<f32> {
    return textureLoad(s_in, vec2<u32>(t4, rs.at[r].x), rs.at[r].y);
}

fn max4(v: vec4<f32>) -> f32 {
    return max(max(v.x, v.y), max(v.z, v.w));
}

fn statistics(rs: ptr<function, Rows>) {
    var m = vec4<f32>(-3e38);
    for (var t4 = 0u; t4 < p.l4; t4++) {
        let r01 = vec2<f32>(max4(load(*rs, 0u, t4)), max4(load(*rs, 1u, t4)));
        let r23 = vec2<f32>(max4(load(*rs, 2u, t4)), max4(load(*rs, 3u, t4)));
        m = max(m, vec4<f32>(r01, r23));
    }
    var sum = vec4<f32>(0.0);
    for (var t4 = 0u; t4 < p.l4; t4++) {
        let one = vec4<f32>(1.0);
        sum += vec4<f32>(
            dot(exp(load(*rs, 0u, t4) - m.x), one),
            dot(exp(load(*rs, 1u, t4) - m.y), one),
            dot(exp(load(*rs, 2u, t4) - m.z), one),
            dot(exp(load(*rs, 3u, t4) - m.w), one),
        );
    }
    (*rs).m = m;
    (*rs).inv = 1.0 / sum;
}

// Row r of P at texel t4.
fn probs(rs: Rows, r: u32, t4: u32) -> vec4<f32> {
    return exp(load(rs, r, t4) - rs.m[r]) * rs.inv[r];
}

@compute @workgroup_size(256)
fn softmax(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x >= p.l4) {
        return;
    }
    var rs = rows_of(gid);
    statistics(&rs);
    for (var t4 = 0u; t4 < p.l4; t4++) {
        for (var r = 0u; r < 4u; r++) {
            if (rs.i0 + r < p.l) {
                textureStore(p_out, vec2<u32>(t4, rs.at[r].x), rs.at[r].y, probs(rs, r, t4));
            }
        }
    }
}

@compute @workgroup_size(256)
fn row_dot(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= p.l) {
        return;
    }
    let z = gid.y;
    let image = udiv(z, p.heads);
    let base = (image * p.l + i) * p.c + (z - image * p.heads) * p.d;
    var s = 0.0;
    for (var t = 0u; t < p.d; t++) {
        s += dout[base + t] * o[base + t];
    }
    rowdot[z * p.l + i] = s;
}
