// Packs one operand of the attention products into a texture (launchers:
// src/kernels/attention/packed.rs), reading src[z, r, t] = src[off + image * img +
// head * head_stride + r * row + t * col] for z = image * heads + head: the strides let one
// kernel read q, k or v out of qkv [n, L, 3C] (or a gradient out of [n, L, C]) either way
// round. One invocation per texel; the texel index within z is on the grid's x axis, z on its
// y axis.
//   main         the own-operand layout of shaders/attention_texels.wgsl: texel (z, r, t4) =
//                src[z, r, 4*t4 .. 4*t4 + 3], zero past k
//   pack_shared  the layout `spread` reads (texture_2d, rows of 1024 texels): columns r in
//                blocks of 8, t in steps of 4; texel ((z * cblocks + cb) * steps + s) * 8 + j
//                holds, inner (form 0): src[z, 8*cb + j, 4*s .. 4*s + 3];
//                outer (form 1): src[z, 8*cb + 4*(j & 1) .. + 3, 4*s + (j >> 1)];
//                zero past `rows` and past k (see shaders/attention_matmul.wgsl)

// import attention_texels

struct Params {
    rows: u32,
    k: u32,
    k4: u32, // texels per row (main); steps (pack_shared)
    heads: u32,
    layer_h: u32, // main
    off: u32,
    img: u32,
    head_stride: u32,
    row: u32,
    col: u32,
    cblocks: u32, // pack_shared
    form: u32, // pack_shared
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
// main
@group(0) @binding(2) var dst: texture_storage_2d_array<rgba32float, write>;
// pack_shared
@group(0) @binding(2) var shared_dst: texture_storage_2d<rgba32float, write>;

fn z_base(z: u32) -> u32 {
    let image = udiv(z, p.heads);
    return p.off + image * p.img + (z - image * p.heads) * p.head_stride;
}

// src[z, r, t] (from the z base), zero outside rows x k.
fn value(base: u32, r: u32, t: u32) -> f32 {
    var v = 0.0;
    if (r < p.rows && t < p.k) {
        v = src[base + r * p.row + t * p.col];
    }
    return v;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x >= p.rows * p.k4) {
        return;
    }
    let z = gid.y;
    let r = udiv(gid.x, p.k4);
    let t4 = gid.x - r * p.k4;
    let base = z_base(z);
    var v = vec4<f32>(0.0);
    for (var e = 0u; e < 4u; e++) {
        v[e] = value(base, r, t4 * 4u + e);
    }
    let at = texel_row(z * p.rows + r, p.layer_h);
    textureStore(dst, vec2<u32>(t4, at.x), at.y, v);
}

@compute @workgroup_size(256)
fn pack_shared(@builtin(global_invocation_id) gid: vec3<u32>) {
    let per_z = p.cblocks * p.k4 * 8u;
    if (gid.x >= per_z) {
        return;
    }
    let z = gid.y;
    let j = gid.x & 7u;
    let blk = gid.x >> 3u; // cb * steps + s
    let cb = udiv(blk, p.k4);
    let s = blk - cb * p.k4;
    let base = z_base(z);
    var v = vec4<f32>(0.0);
    for (var e = 0u; e < 4u; e++) {
        if (p.form == 0u) {
            v[e] = value(base, cb * 8u + j, s * 4u + e);
        } else {
            v[e] = value(base, cb * 8u + (j & 1u) * 4u + e, s * 4u + (j >> 1u));
        }
    }
    let i = z * per_z + gid.x;
    textureStore(shared_dst, vec2<u32>(i & 1023u, i >> 10u), v);
}
