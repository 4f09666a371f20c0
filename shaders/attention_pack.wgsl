// Packs one operand of the attention products into its texture (layout:
// shaders/attention_texels.wgsl): texel (z, r, t4) = src[z, r, 4*t4 .. 4*t4 + 3], zero past K,
// where src[z, r, t] = src[off + image * img + head * head_stride + r * row + t * col] for
// z = image * heads + head. The strides let one kernel read q, k or v out of qkv [n, L, 3C]
// (or a gradient out of [n, L, C]) either way round. One invocation per texel; the texel
// index within z is on the grid's x axis, z on its y axis.

struct Params {
    rows: u32,
    k: u32,
    k4: u32,
    heads: u32,
    layer_h: u32,
    off: u32,
    img: u32,
    head_stride: u32,
    row: u32,
    col: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var dst: texture_storage_2d_array<rgba32float, write>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x >= p.rows * p.k4) {
        return;
    }
    let z = gid.y;
    let r = udiv(gid.x, p.k4);
    let t4 = gid.x - r * p.k4;
    let image = udiv(z, p.heads);
    let base = p.off + image * p.img + (z - image * p.heads) * p.head_stride + r * p.row;
    var v = vec4<f32>(0.0);
    for (var e = 0u; e < 4u; e++) {
        let t = t4 * 4u + e;
        if (t < p.k) {
            v[e] = src[base + t * p.col];
        }
    }
    let at = texel_row(z * p.rows + r, p.layer_h);
    textureStore(dst, vec2<u32>(t4, at.x), at.y, v);
}
