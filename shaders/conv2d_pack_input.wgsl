// Packs an NCHW activation buffer into the texture conv2d and conv2d_backward_weight read:
// rgba32float texels of 4 channels; image n is a row of C/4 tiles of (h+2) x (w+2) texels
// with a zero border (the padding of the 3x3 window), `npl` images stacked per array layer.
// Channels past C read as zero. One invocation per texel, border included.

struct Params {
    n: u32,
    c: u32,
    h: u32,
    w: u32,
    c4: u32,
    npl: u32,
    tex_w: u32, // c4 * (w + 2)
    layer_h: u32, // npl * (h + 2)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var xt: texture_storage_2d_array<rgba32float, write>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x >= p.tex_w || gid.y >= p.layer_h) {
        return;
    }
    let c4 = gid.x / (p.w + 2u);
    let px = gid.x % (p.w + 2u); // 1..=w inside
    let n = gid.z * p.npl + gid.y / (p.h + 2u);
    let py = gid.y % (p.h + 2u);
    let inside = px >= 1u && px <= p.w && py >= 1u && py <= p.h && n < p.n;
    let hw = p.h * p.w;
    // Clamped address and a select keep the loads branch-free.
    let pix = min(py - 1u, p.h - 1u) * p.w + min(px - 1u, p.w - 1u);
    let nn = min(n, p.n - 1u);
    var v = vec4<f32>(0.0);
    for (var k = 0u; k < 4u; k++) {
        let ch = c4 * 4u + k;
        let val = x[(nn * p.c + min(ch, p.c - 1u)) * hw + pix];
        v[k] = select(0.0, val, inside && ch < p.c);
    }
    textureStore(xt, vec2<u32>(gid.x, gid.y), gid.z, v);
}
