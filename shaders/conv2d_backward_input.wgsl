// dx += conv_transpose(dy, w) for conv2d with stride 1, padding k/2, k = 3 (main_k3) or 1 (main_k1).
// w [cout, cin, k, k] (OIHW), dy [n, cout, h, w], dx [n, cin, h, w]. This is a convolution of dy
// with the weights transposed (in <-> out) and flipped (kh, kw -> k-1-kh, k-1-kw), so it uses the
// forward kernel's register tiling: each invocation computes 4 input channels x 4 pixels, and the
// 64 invocations of a workgroup share one channel block (uniform weight reads).

struct Params {
    n: u32,
    cin: u32,
    cout: u32,
    h: u32,
    w: u32,
    tiles_w: u32,
    tiles: u32,
    total: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> wt: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

const TILE_INV: u32 = 64u;

struct Win {
    i0: vec4<f32>,
    i1: vec4<f32>,
    i2: vec4<f32>,
}

fn window(base: u32, clo: vec4<u32>, chi: vec2<u32>, mlo: vec4<f32>, mhi: vec2<f32>) -> Win {
    let a = vec4<f32>(dy[base + clo.x], dy[base + clo.y], dy[base + clo.z], dy[base + clo.w]) * mlo;
    let e = vec2<f32>(dy[base + chi.x], dy[base + chi.y]) * mhi;
    return Win(a, vec4<f32>(a.yzw, e.x), vec4<f32>(a.zw, e));
}

// Flipped taps: window kw' uses weight column 2 - kw'.
fn taps(acc: vec4<f32>, v: Win, wi: u32) -> vec4<f32> {
    return acc + v.i0 * wt[wi + 2u] + v.i1 * wt[wi + 1u] + v.i2 * wt[wi];
}

fn add4(base: u32, v: vec4<f32>, valid: u32) {
    dx[base] += v.x;
    if (valid > 1u) { dx[base + 1u] += v.y; }
    if (valid > 2u) { dx[base + 2u] += v.z; }
    if (valid > 3u) { dx[base + 3u] += v.w; }
}

@compute @workgroup_size(64)
fn main_k3(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = wid.x * TILE_INV + lid;
    if (t >= p.total) {
        return;
    }
    let n = t / p.tiles;
    let r = t % p.tiles;
    let oh = r / p.tiles_w;
    let ow0 = (r % p.tiles_w) * 4u;
    let ci0 = wid.y * 4u;
    let hw = p.h * p.w;

    let c = vec4<i32>(i32(ow0)) + vec4<i32>(-1, 0, 1, 2);
    let c2 = vec2<i32>(i32(ow0)) + vec2<i32>(3, 4);
    let wm1 = i32(p.w) - 1;
    let clo = vec4<u32>(clamp(c, vec4<i32>(0), vec4<i32>(wm1)));
    let chi = vec2<u32>(clamp(c2, vec2<i32>(0), vec2<i32>(wm1)));
    let cmlo = select(vec4<f32>(0.0), vec4<f32>(1.0), c >= vec4<i32>(0) & c <= vec4<i32>(wm1));
    let cmhi = select(vec2<f32>(0.0), vec2<f32>(1.0), c2 <= vec2<i32>(wm1));
    let rr = vec3<i32>(i32(oh)) + vec3<i32>(-1, 0, 1);
    let hm1 = i32(p.h) - 1;
    let roff = vec3<u32>(clamp(rr, vec3<i32>(0), vec3<i32>(hm1))) * p.w;
    let rm = select(vec3<f32>(0.0), vec3<f32>(1.0), rr >= vec3<i32>(0) & rr <= vec3<i32>(hm1));

    // Weight w[co, ci, kh, kw]: base of (co, ci) is (co * cin + ci) * 9.
    let cl = p.cin - 1u;
    let ks = p.cin * 9u;
    var w0 = min(ci0, cl) * 9u;
    var w1 = min(ci0 + 1u, cl) * 9u;
    var w2 = min(ci0 + 2u, cl) * 9u;
    var w3 = min(ci0 + 3u, cl) * 9u;
    var a0 = vec4<f32>(0.0);
    var a1 = vec4<f32>(0.0);
    var a2 = vec4<f32>(0.0);
    var a3 = vec4<f32>(0.0);

    var db = n * p.cout * hw;
    for (var co = 0u; co < p.cout; co++) {
        // dy row oh-1 pairs with kernel row 2, row oh with 1, row oh+1 with 0.
        let v0 = window(db + roff.x, clo, chi, cmlo * rm.x, cmhi * rm.x);
        let v1 = window(db + roff.y, clo, chi, cmlo * rm.y, cmhi * rm.y);
        let v2 = window(db + roff.z, clo, chi, cmlo * rm.z, cmhi * rm.z);
        a0 = taps(taps(taps(a0, v0, w0 + 6u), v1, w0 + 3u), v2, w0);
        a1 = taps(taps(taps(a1, v0, w1 + 6u), v1, w1 + 3u), v2, w1);
        a2 = taps(taps(taps(a2, v0, w2 + 6u), v1, w2 + 3u), v2, w2);
        a3 = taps(taps(taps(a3, v0, w3 + 6u), v1, w3 + 3u), v2, w3);
        db += hw;
        w0 += ks;
        w1 += ks;
        w2 += ks;
        w3 += ks;
    }

    let valid = min(p.w - ow0, 4u);
    let ob = (n * p.cin + ci0) * hw + oh * p.w + ow0;
    add4(ob, a0, valid);
    if (ci0 + 1u < p.cin) { add4(ob + hw, a1, valid); }
    if (ci0 + 2u < p.cin) { add4(ob + 2u * hw, a2, valid); }
    if (ci0 + 3u < p.cin) { add4(ob + 3u * hw, a3, valid); }
}

@compute @workgroup_size(64)
fn main_k1(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = wid.x * TILE_INV + lid;
    if (t >= p.total) {
        return;
    }
    let n = t / p.tiles;
    let p0 = (t % p.tiles) * 4u;
    let ci0 = wid.y * 4u;
    let hw = p.h * p.w;
    let o = min(vec4<u32>(p0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(hw - 1u));

    let cl = p.cin - 1u;
    var w0 = min(ci0, cl);
    var w1 = min(ci0 + 1u, cl);
    var w2 = min(ci0 + 2u, cl);
    var w3 = min(ci0 + 3u, cl);
    var a0 = vec4<f32>(0.0);
    var a1 = vec4<f32>(0.0);
    var a2 = vec4<f32>(0.0);
    var a3 = vec4<f32>(0.0);

    var db = n * p.cout * hw;
    for (var co = 0u; co < p.cout; co++) {
        let v = vec4<f32>(dy[db + o.x], dy[db + o.y], dy[db + o.z], dy[db + o.w]);
        a0 += v * wt[w0];
        a1 += v * wt[w1];
        a2 += v * wt[w2];
        a3 += v * wt[w3];
        db += hw;
        w0 += p.cin;
        w1 += p.cin;
        w2 += p.cin;
        w3 += p.cin;
    }

    let valid = min(hw - p0, 4u);
    let ob = (n * p.cin + ci0) * hw + p0;
    add4(ob, a0, valid);
    if (ci0 + 1u < p.cin) { add4(ob + hw, a1, valid); }
    if (ci0 + 2u < p.cin) { add4(ob + 2u * hw, a2, valid); }
    if (ci0 + 3u < p.cin) { add4(ob + 3u * hw, a3, valid); }
}
