// Library: the accumulators of conv2d.wgsl and of the gathers (conv2d_geom_lib.wgsl), and
// what they do with them at the end: the bias and the stores. The kernel defines P, Tile
// (with `cb`, its block of 8 output channels), `bias`, `p.cout` and `store_half`.
//
// Accumulators of one half-block (4 output channels as a vec4) for the P pixels. The two
// halves are separate arrays and every loop that indexes them has a constant trip count, so
// the compiler unrolls them and keeps the sums in registers (an array with one dynamic index
// goes to memory, which on llvmpipe halved the speed).
alias Half = array<vec4<f32>, P>;

struct Acc {
    lo: Half, // output channels cb*8 + 0..3
    hi: Half, // output channels cb*8 + 4..7
}

fn store(tl: Tile, acc: Acc, accumulate: bool) {
    store_half(tl, 0u, acc.lo, accumulate);
    store_half(tl, 1u, acc.hi, accumulate);
}

// h + the bias of half-block g, for the entries that add it (the others bind no bias of
// their own: conv2d.wgsl's accumulate entries do not read it, the gathers bind a spare).
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

// #if alone
// What an importer declares (kept only when this library is checked on its own).
const P: u32 = 1u;
struct Params {
    cout: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
struct Tile {
    cb: u32,
}
fn store_half(tl: Tile, g: u32, h: Half, accumulate: bool) {}
// #endif
