// Library: what the gathers of conv2d_geom.wgsl (Conv2d of any geometry) and
// conv_transpose2d.wgsl (ConvTranspose2d) share: their parameters and bindings, the tiling
// of the output, the taps, and the stores (src/kernels/conv2d/gather.rs launches both).
//
// Inputs come through textures as in conv2d.wgsl (see there for why): xt packed by
// conv2d_pack_input, wt by conv2d_pack_weight with the kernel padded to kyp x kxp taps
// (8 texels per block of 8 output channels, group of 4 input channels and tap
// ky * kxp + kx; handed round with `spread`). Each invocation computes 8 output channels x
// P pixels of one output row, the pixels `step` apart (1 strided, s transposed: the pixels
// of one phase).
//
// Along a kernel row, the taps of one column phase meet texels one apart (strided: taps
// kx, kx + s, ... meet texels s apart; transposed: consecutive taps meet neighbouring input
// pixels), so a block of T taps shares one window of P + T - 1 texel loads. A body is R such
// blocks on consecutive texture rows, and the gathers run their bodies in a single loop.
// The entry point r<R>t<T> fixes R and T (1 to 4 each; the launcher picks them from k and
// s, in chunks beyond 4) so that a body is straight-line code. On llvmpipe the taps per
// loop iteration and the depth of loops around them set the speed: for k3 s1 against the
// k3 kernel of conv2d.wgsl (nine taps per iteration of its one loop), one tap per iteration
// ran at about half its speed, R = T = 3 in a single loop at 0.7-0.9x, the same body inside
// three more loops of one iteration each at a third. Taps a body has past the kernel's edge
// read zero weights (the kernel is packed padded to kyp x kxp) times whatever texels lie
// there.

// import conv2d_acc, spread

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
    kxp: u32, // taps per packed kernel row
    kyp: u32, // rows of the packed kernel
    chunks: u32, // blocks of T taps per kernel row and phase
    rchunks: u32, // bodies of R rows per phase
    out: u32, // what the sums become: OUT_BIAS, OUT_OVERWRITE or OUT_ACCUMULATE
    // transposed: the output phases (oh % s) * s + ow % s of this dispatch, one per
    // workgroup layer wid.z, four to a vec4 (the uniform array stride is 16 bytes)
    phase: array<vec4<u32>, 4>,
}

const OUT_BIAS: u32 = 0u;
const OUT_OVERWRITE: u32 = 1u;
const OUT_ACCUMULATE: u32 = 2u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var xt: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(2) var wt: texture_storage_2d<rgba32float, read>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
// [cout]; without a bias the launcher binds any buffer of at least cout floats
@group(0) @binding(4) var<storage, read> bias: array<f32>;

// The weight texel `spread` reads (shaders/spread.wgsl).
fn spread_texel(at: vec2<u32>) -> vec4<f32> {
    return textureLoad(wt, at);
}

alias Window = array<vec4<f32>, 10>; // P + 3 texels: blocks of up to 4 taps

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
        let code = p.phase[ids.wid.z / 4u][ids.wid.z % 4u];
        tl.cy = code / p.s;
        tl.cx = code - tl.cy * p.s;
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

// acc += the window's texels xs[first..first+P] times the 8 weight vec4s of one tap
// (texels wb..wb+8 of wt). `first` is a constant after inlining, so xs stays in registers.
fn tap(acc: ptr<function, Acc>, xs: Window, first: u32, wb: u32, lane: u32) {
    let wl = spread_load(wb, lane);
    tap_channel(acc, xs, first, 0u, spread(wl, wb, 0u), spread(wl, wb, 1u));
    tap_channel(acc, xs, first, 1u, spread(wl, wb, 2u), spread(wl, wb, 3u));
    tap_channel(acc, xs, first, 2u, spread(wl, wb, 4u), spread(wl, wb, 5u));
    tap_channel(acc, xs, first, 3u, spread(wl, wb, 6u), spread(wl, wb, 7u));
}

fn tap_channel(acc: ptr<function, Acc>, xs: Window, first: u32, cil: u32, wa: vec4<f32>, wb: vec4<f32>) {
    for (var j = 0u; j < P; j++) {
        let xv = xs[first + j][cil];
        (*acc).lo[j] += xv * wa;
        (*acc).hi[j] += xv * wb;
    }
}

// A block of T taps (T a constant after inlining, so the ifs fold away): pixel j's texel
// for tap t is at column col + (j + t) * xstep of texture row `row`, its weights at texel
// w0 + t * ws (ws may be negative, as u32).
fn block(acc: ptr<function, Acc>, tl: Tile, row: u32, col: u32, xstep: u32, w0: u32, ws: u32, T: u32, lane: u32) {
    var xs: Window;
    for (var j = 0u; j < P + T - 1u; j++) {
        xs[j] = textureLoad(xt, vec2<u32>(col + j * xstep, row), tl.layer);
    }
    tap(acc, xs, 0u, w0, lane);
    if (T > 1u) {
        tap(acc, xs, 1u, w0 + ws, lane);
    }
    if (T > 2u) {
        tap(acc, xs, 2u, w0 + 2u * ws, lane);
    }
    if (T > 3u) {
        tap(acc, xs, 3u, w0 + 3u * ws, lane);
    }
}

// A body: blocks of T taps on the R texture rows row.. (R a constant after inlining), the
// weights of block r at w0 + r * wr.
fn body(acc: ptr<function, Acc>, tl: Tile, row: u32, col: u32, xstep: u32, w0: u32, ws: u32, wr: u32, R: u32, T: u32, lane: u32) {
    block(acc, tl, row, col, xstep, w0, ws, T, lane);
    if (R > 1u) {
        block(acc, tl, row + 1u, col, xstep, w0 + wr, ws, T, lane);
    }
    if (R > 2u) {
        block(acc, tl, row + 2u, col, xstep, w0 + 2u * wr, ws, T, lane);
    }
    if (R > 3u) {
        block(acc, tl, row + 3u, col, xstep, w0 + 3u * wr, ws, T, lane);
    }
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

fn finish(tl: Tile, acc: Acc) {
    if (p.out == OUT_BIAS) {
        store(tl, with_bias(tl, acc), false);
    } else {
        store(tl, acc, p.out == OUT_ACCUMULATE);
    }
}

// The entry points r<R>t<T>: the kernel defines TRANSPOSED and gather(ids, tl, R, T), whose
// bodies of R kernel rows x T taps the constant R and T make straight-line code.
@compute @workgroup_size(WGS)
fn r1t1(ids: Ids) {
    let tl = tile_of(ids, TRANSPOSED);
    finish(tl, gather(ids, tl, 1u, 1u));
}

@compute @workgroup_size(WGS)
fn r1t2(ids: Ids) {
    let tl = tile_of(ids, TRANSPOSED);
    finish(tl, gather(ids, tl, 1u, 2u));
}

@compute @workgroup_size(WGS)
fn r1t3(ids: Ids) {
    let tl = tile_of(ids, TRANSPOSED);
    finish(tl, gather(ids, tl, 1u, 3u));
}

@compute @workgroup_size(WGS)
fn r1t4(ids: Ids) {
    let tl = tile_of(ids, TRANSPOSED);
    finish(tl, gather(ids, tl, 1u, 4u));
}

@compute @workgroup_size(WGS)
fn r2t1(ids: Ids) {
    let tl = tile_of(ids, TRANSPOSED);
    finish(tl, gather(ids, tl, 2u, 1u));
}

@compute @workgroup_size(WGS)
fn r2t2(ids: Ids) {
    let tl = tile_of(ids, TRANSPOSED);
    finish(tl, gather(ids, tl, 2u, 2u));
}

@compute @workgroup_size(WGS)
fn r2t3(ids: Ids) {
    let tl = tile_of(ids, TRANSPOSED);
    finish(tl, gather(ids, tl, 2u, 3u));
}

@compute @workgroup_size(WGS)
fn r2t4(ids: Ids) {
    let tl = tile_of(ids, TRANSPOSED);
    finish(tl, gather(ids, tl, 2u, 4u));
}

@compute @workgroup_size(WGS)
fn r3t1(ids: Ids) {
    let tl = tile_of(ids, TRANSPOSED);
    finish(tl, gather(ids, tl, 3u, 1u));
}

@compute @workgroup_size(WGS)
fn r3t2(ids: Ids) {
    let tl = tile_of(ids, TRANSPOSED);
    finish(tl, gather(ids, tl, 3u, 2u));
}

@compute @workgroup_size(WGS)
fn r3t3(ids: Ids) {
    let tl = tile_of(ids, TRANSPOSED);
    finish(tl, gather(ids, tl, 3u, 3u));
}

@compute @workgroup_size(WGS)
fn r3t4(ids: Ids) {
    let tl = tile_of(ids, TRANSPOSED);
    finish(tl, gather(ids, tl, 3u, 4u));
}

@compute @workgroup_size(WGS)
fn r4t1(ids: Ids) {
    let tl = tile_of(ids, TRANSPOSED);
    finish(tl, gather(ids, tl, 4u, 1u));
}

@compute @workgroup_size(WGS)
fn r4t2(ids: Ids) {
    let tl = tile_of(ids, TRANSPOSED);
    finish(tl, gather(ids, tl, 4u, 2u));
}

@compute @workgroup_size(WGS)
fn r4t3(ids: Ids) {
    let tl = tile_of(ids, TRANSPOSED);
    finish(tl, gather(ids, tl, 4u, 3u));
}

@compute @workgroup_size(WGS)
fn r4t4(ids: Ids) {
    let tl = tile_of(ids, TRANSPOSED);
    finish(tl, gather(ids, tl, 4u, 4u));
}

// #if alone
// What an importer declares (kept only when this library is checked on its own).
const TRANSPOSED: bool = false;
fn gather(ids: Ids, tl: Tile, R: u32, T: u32) -> Acc {
    var acc: Acc;
    return acc;
}
// #endif
