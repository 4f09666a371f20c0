// Convolutions of any geometry (k x k taps, stride s, padding) as gathers over a packed
// input, in two modes (src/kernels/conv2d/gather.rs):
// - strided: y[oh][ow] = sum over ci, ky, kx of x[oh*s + ky][ow*s + kx] * W[ky][kx], x packed
//   with a border of `pad` (Conv2d, and backward-input of ConvTranspose2d);
// - transposed: y[oh][ow] = sum over (ih, ky), (iw, kx) with ih*s - pad + ky = oh and
//   iw*s - pad + kx = ow of x[ih][iw] * W[ky][kx] (ConvTranspose2d, and backward-input of a
//   strided Conv2d). Only the taps that meet an input pixel are visited: an output pixel
//   with (oh + pad) % s = ry takes kernel rows ry, ry + s, ... , so no work is spent on the
//   zeros a "dilate the input, then convolve" scheme would insert. Outputs are grouped by
//   that phase (one phase per workgroup, wid.z), so every lane of a workgroup visits the
//   same taps and the weight shuffles of `spread` stay in uniform control flow.
//
// Inputs come through textures as in conv2d.wgsl (see there for why): xt packed by
// conv2d_pack_input, wt by conv2d_pack_weight (8 texels per block of 8 output channels,
// group of 4 input channels and tap, tap = ky * k + kx; handed round with `spread`).
// Each invocation computes 8 output channels x P pixels of one output row, the pixels
// `step` apart (1 strided, s transposed: the pixels of one phase).
// For each kernel row it walks the taps of one column phase with a window of P texels that
// moves one texel per tap (strided: taps kx, kx + s, ... meet texels s apart; transposed:
// consecutive taps meet neighbouring input pixels), so a tap costs one texture load.

const P: u32 = 7u; // pixels per invocation
const WGS: u32 = 32u; // invocations per workgroup; must match GATHER_WG in gather.rs

struct Params {
    n: u32,
    cin4: u32, // input channel groups of 4 (texels per pixel)
    cout: u32,
    oh: u32, // output height
    ow: u32, // output width
    k: u32,
    s: u32,
    pad: u32, // transposed: the padding of the transposed convolution
    tile_w: u32, // size of one packed image tile of xt
    tile_h: u32,
    npl: u32, // images per texture layer
    top: u32, // transposed: xt's border above and left of the image
    left: u32,
    rows: u32, // output rows per phase (strided: all of them)
    blocks: u32, // tiles of P pixels per output row of one phase
    total: u32, // n * rows * blocks: tiles per phase
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var xt: texture_2d_array<f32>;
@group(0) @binding(2) var wt: texture_2d<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

// Accumulators as in conv2d.wgsl: two halves of 4 output channels, loops of constant trip
// count only, so they stay in registers.
alias Half = array<vec4<f32>, P>;
alias Window = array<vec4<f32>, P>;

struct Acc {
    lo: Half,
    hi: Half,
}

struct Tile {
    n: u32,
    i: u32, // output row within the phase
    qb: u32, // block of P pixels within the row
    oh: u32,
    ow0: u32,
    step: u32,
    cy: u32, // transposed: the phase, oh % s and ow % s
    cx: u32,
    cb: u32,
    img: u32, // first texel row of image n in its layer
    layer: u32,
    // false for lanes past the last tile or row (they compute a copy but must not store)
    valid: bool,
}

fn tile_of(ids: Ids, transposed: bool) -> Tile {
    // Clamp instead of returning early: every lane must reach the shuffles.
    let t0 = ids.wid.x * WGS + ids.lid;
    let t = min(t0, p.total - 1u);
    let per_n = p.rows * p.blocks;
    var tl: Tile;
    tl.n = t / per_n;
    let r = t - tl.n * per_n;
    tl.i = r / p.blocks;
    tl.qb = r - tl.i * p.blocks;
    tl.cb = ids.wid.y;
    tl.layer = tl.n / p.npl;
    tl.img = (tl.n - tl.layer * p.npl) * p.tile_h;
    if (transposed) {
        tl.cy = ids.wid.z / p.s;
        tl.cx = ids.wid.z - tl.cy * p.s;
        tl.step = p.s;
        tl.oh = tl.cy + tl.i * p.s;
        tl.ow0 = tl.cx + tl.qb * P * p.s;
    } else {
        tl.step = 1u;
        tl.oh = tl.i;
        tl.ow0 = tl.qb * P;
    }
    tl.valid = t0 < p.total && tl.oh < p.oh;
    return tl;
}

// acc += the window times the 8 weight vec4s of one tap (texels wb..wb+8 of wt).
fn tap(acc: ptr<function, Acc>, xs: Window, wl: vec4<f32>, wb: u32) {
    tap_channel(acc, xs, 0u, spread(wt, wl, wb, 0u), spread(wt, wl, wb, 1u));
    tap_channel(acc, xs, 1u, spread(wt, wl, wb, 2u), spread(wt, wl, wb, 3u));
    tap_channel(acc, xs, 2u, spread(wt, wl, wb, 4u), spread(wt, wl, wb, 5u));
    tap_channel(acc, xs, 3u, spread(wt, wl, wb, 6u), spread(wt, wl, wb, 7u));
}

fn tap_channel(acc: ptr<function, Acc>, xs: Window, cil: u32, wa: vec4<f32>, wb: vec4<f32>) {
    for (var j = 0u; j < P; j++) {
        let xv = xs[j][cil];
        (*acc).lo[j] += xv * wa;
        (*acc).hi[j] += xv * wb;
    }
}

fn texel(col: u32, row: u32, layer: u32) -> vec4<f32> {
    return textureLoad(xt, vec2<u32>(col, row), layer, 0);
}

// The taps kx = kx0, kx0 + kstep, ... while kx < k (a negative kstep, as u32, wraps past
// zero to a value >= k) of the kernel row whose weights start at texel `wrow`. Pixel j's
// texel for the first tap is at column col + j * xstep of texture row `row`; each further
// tap moves the whole window by xstep.
fn segment(acc: ptr<function, Acc>, tl: Tile, row: u32, col: u32, xstep: u32, wrow: u32, kx0: u32, kstep: u32, lane: u32) {
    var xs: Window;
    for (var j = 0u; j < P; j++) {
        xs[j] = texel(col + j * xstep, row, tl.layer);
    }
    var next = col + P * xstep;
    var kx = kx0;
    loop {
        let wb = wrow + kx * 8u;
        tap(acc, xs, spread_load(wt, wb, lane), wb);
        kx += kstep;
        if (kx >= p.k) {
            break;
        }
        for (var j = 0u; j + 1u < P; j++) {
            xs[j] = xs[j + 1u];
        }
        xs[P - 1u] = texel(next, row, tl.layer);
        next += xstep;
    }
}

fn gather_strided(ids: Ids, tl: Tile) -> Acc {
    var acc: Acc;
    let lane = spread_lane(ids);
    let kk8 = p.k * p.k * 8u;
    let phases = min(p.s, p.k);
    var col = tl.ow0 * p.s;
    var wbase = tl.cb * p.cin4 * kk8;
    for (var c4 = 0u; c4 < p.cin4; c4++) {
        for (var ky = 0u; ky < p.k; ky++) {
            let row = tl.img + tl.oh * p.s + ky;
            for (var ph = 0u; ph < phases; ph++) {
                segment(&acc, tl, row, col + ph, p.s, wbase + ky * p.k * 8u, ph, p.s, lane);
            }
        }
        col += p.tile_w;
        wbase += kk8;
    }
    return acc;
}

fn gather_transposed(ids: Ids, tl: Tile) -> Acc {
    var acc: Acc;
    let lane = spread_lane(ids);
    // oh + pad = qy * s + ry: kernel rows ry + a * s meet input row qy - a (a <= ny).
    let ey = tl.cy + p.pad;
    let ex = tl.cx + p.pad;
    let qy0 = ey / p.s;
    let qx0 = ex / p.s;
    let ry = ey - qy0 * p.s;
    let rx = ex - qx0 * p.s;
    if (ry >= p.k || rx >= p.k) {
        return acc; // stride over k: this phase meets no tap (uniform per workgroup)
    }
    let ny = (p.k - 1u - ry) / p.s;
    let nx = (p.k - 1u - rx) / p.s;
    // Texel of input row qy - ny and column qx - nx for the tile's first pixel (the border
    // keeps both in the tile).
    let row0 = tl.img + tl.i + qy0 + p.top - ny;
    var col = tl.qb * P + qx0 + p.left - nx;
    let kk8 = p.k * p.k * 8u;
    var wbase = tl.cb * p.cin4 * kk8;
    for (var c4 = 0u; c4 < p.cin4; c4++) {
        for (var a = 0u; a <= ny; a++) {
            let ky = ry + (ny - a) * p.s;
            segment(&acc, tl, row0 + a, col, 1u, wbase + ky * p.k * 8u, rx + nx * p.s, 0u - p.s, lane);
        }
        col += p.tile_w;
        wbase += kk8;
    }
    return acc;
}

// Writes half-block g: y = h, or y += h.
fn store_half(tl: Tile, g: u32, h: Half, accumulate: bool) {
    for (var c = 0u; c < 4u; c++) {
        let co = tl.cb * 8u + g * 4u + c;
        if (tl.valid && co < p.cout) {
            let o = ((tl.n * p.cout + co) * p.oh + tl.oh) * p.ow + tl.ow0;
            for (var j = 0u; j < P; j++) {
                if (tl.ow0 + j * tl.step < p.ow) {
                    let at = o + j * tl.step;
                    var base = 0.0;
                    if (accumulate) {
                        base = y[at];
                    }
                    y[at] = base + h[j][c];
                }
            }
        }
    }
}

fn store(tl: Tile, acc: Acc, accumulate: bool) {
    store_half(tl, 0u, acc.lo, accumulate);
    store_half(tl, 1u, acc.hi, accumulate);
}

fn add_bias(tl: Tile, g: u32, h: Half) -> Half {
    var b = vec4<f32>(0.0);
    for (var c = 0u; c < 4u; c++) {
        b[c] = bias[min(tl.cb * 8u + g * 4u + c, p.cout - 1u)];
    }
    var out = h;
    for (var j = 0u; j < P; j++) {
        out[j] += b;
    }
    return out;
}

fn with_bias(tl: Tile, acc: Acc) -> Acc {
    return Acc(add_bias(tl, 0u, acc.lo), add_bias(tl, 1u, acc.hi));
}

// y = conv + bias
@compute @workgroup_size(WGS)
fn strided_bias(ids: Ids) {
    let tl = tile_of(ids, false);
    store(tl, with_bias(tl, gather_strided(ids, tl)), false);
}

// y = conv
@compute @workgroup_size(WGS)
fn strided(ids: Ids) {
    let tl = tile_of(ids, false);
    store(tl, gather_strided(ids, tl), false);
}

// y += conv
@compute @workgroup_size(WGS)
fn strided_accumulate(ids: Ids) {
    let tl = tile_of(ids, false);
    store(tl, gather_strided(ids, tl), true);
}

@compute @workgroup_size(WGS)
fn transposed_bias(ids: Ids) {
    let tl = tile_of(ids, true);
    store(tl, with_bias(tl, gather_transposed(ids, tl)), false);
}

@compute @workgroup_size(WGS)
fn transposed(ids: Ids) {
    let tl = tile_of(ids, true);
    store(tl, gather_transposed(ids, tl), false);
}

@compute @workgroup_size(WGS)
fn transposed_accumulate(ids: Ids) {
    let tl = tile_of(ids, true);
    store(tl, gather_transposed(ids, tl), true);
}
