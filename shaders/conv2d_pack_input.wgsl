// Packs an NCHW activation buffer into the texture conv2d and conv2d_backward_weight read:
// rgba32float texels of 4 channels; image n is a row of C/4 tiles of tile_h x tile_w texels:
// the image at (top, left) inside a zero border (the padding of the conv window: 1 on every
// side for the 3x3 kernels, what the geometry needs for the others), `npl` images stacked
// per array layer.
// Channels past C read as zero. One invocation per texel, border included.
// Entries: `main` packs x; `add` packs x + v[n, c] (the time-embedding add of a ConvBlock);
// `cat_add` packs cat(x, b) + v[n, c] along channels (the skip concat of the up blocks), so
// neither the add nor the concat needs a pass of its own.

struct Params {
    n: u32,
    c: u32,
    h: u32,
    w: u32,
    c4: u32,
    npl: u32,
    tex_w: u32, // c4 * tile_w
    layer_h: u32, // npl * tile_h
    ca: u32, // channels of x in `cat_add` (b has c - ca)
    top: u32, // border rows above the image
    left: u32, // border columns left of it
    tile_h: u32, // top + h + bottom
    tile_w: u32, // left + w + right
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var xt: texture_storage_2d_array<rgba32float, write>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> b: array<f32>;

const PLAIN: u32 = 0u;
const ADD: u32 = 1u;
const CAT_ADD: u32 = 2u;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    pack(gid, PLAIN);
}

@compute @workgroup_size(8, 8)
fn add(@builtin(global_invocation_id) gid: vec3<u32>) {
    pack(gid, ADD);
}

@compute @workgroup_size(8, 8)
fn cat_add(@builtin(global_invocation_id) gid: vec3<u32>) {
    pack(gid, CAT_ADD);
}

fn pack(gid: vec3<u32>, mode: u32) {
    if (gid.x >= p.tex_w || gid.y >= p.layer_h) {
        return;
    }
    let c4 = udiv(gid.x, p.tile_w);
    let ix = gid.x - c4 * p.tile_w - p.left; // wraps to a huge value left of the image
    let ny = udiv(gid.y, p.tile_h);
    let n = gid.z * p.npl + ny;
    let iy = gid.y - ny * p.tile_h - p.top;
    let inside = ix < p.w && iy < p.h && n < p.n;
    var val = vec4<f32>(0.0);
    // Border texels (and lanes past the batch) load nothing.
    if (inside) {
        let hw = p.h * p.w;
        let pix = iy * p.w + ix;
        for (var k = 0u; k < 4u; k++) {
            // Channels past C read channel C-1 and are masked to zero below.
            let ch = min(c4 * 4u + k, p.c - 1u);
            var e = 0.0;
            if (mode == CAT_ADD) {
                if (ch < p.ca) {
                    e = x[(n * p.ca + ch) * hw + pix];
                } else {
                    e = b[(n * (p.c - p.ca) + ch - p.ca) * hw + pix];
                }
                e += v[n * p.c + ch];
            } else if (mode == ADD) {
                e = x[(n * p.c + ch) * hw + pix] + v[n * p.c + ch];
            } else {
                e = x[(n * p.c + ch) * hw + pix];
            }
            val[k] = select(0.0, e, c4 * 4u + k < p.c);
        }
    }
    textureStore(xt, vec2<u32>(gid.x, gid.y), gid.z, val);
}
