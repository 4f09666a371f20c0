// Library: the Params struct (must match `Params` in src/kernels/batchnorm/mod.rs) and the
// chunking shared by the batchnorm kernels.

// import common

struct Params {
    n: u32,
    c: u32,
    hw: u32,
    m: u32, // n * hw, values per channel
    chunks: u32, // workgroups per channel
    eps: f32,
    momentum: f32,
    total: u32,
}

// Elements of a channel each invocation covers per chunk: set by the launcher
// (src/kernels/batchnorm/mod.rs), which counts the chunks. An element is an f32, or a vec4
// on the `_vec4` entry points (planes of hw % 4 == 0), whose chunks are 4 times as long.
override PER_THREAD: u32;
override CHUNK: u32 = WG * PER_THREAD;

// An invocation's walk over its elements of channel `ch` in chunk k: the elements
// e = k * CHUNK + i * WG + lid, i = 0, 1, .., of the channel's n planes of `l` elements
// each (l = hw, or hw / 4 in vec4s), at index `a` of the NCHW tensor. One division starts
// it; each step is adds and a select (an integer division by a non-constant is 8 scalar
// divisions per 8 lanes on llvmpipe, and udiv's float one costs more than the step).
struct Walk {
    a: u32, // index into the tensor (in elements)
    j: u32, // position in the plane
    e: u32, // index among the channel's elements
    l: u32,
    r: u32, // WG = q l + r: each step moves r along the plane ...
    jump: u32, // ... and q images: q c l + r elements
}

fn walk_start(k: u32, lid: u32, ch: u32, l: u32) -> Walk {
    let e = k * CHUNK + lid;
    let ni = udiv(e, l);
    let j = e - ni * l;
    let q = udiv(WG, l);
    let r = WG - q * l;
    return Walk((ni * p.c + ch) * l + j, j, e, l, r, q * p.c * l + r);
}

// The element WG further on; r < l, so the plane position wraps at most once, into the next
// image: (c - 1) l elements further.
fn walk_next(w: Walk) -> Walk {
    var v = w;
    v.j += w.r;
    v.a += w.jump;
    v.e += WG;
    let wrap = v.j >= w.l;
    v.j = select(v.j, v.j - w.l, wrap);
    v.a = select(v.a, v.a + (p.c - 1u) * w.l, wrap);
    return v;
}

// The end of chunk k of a channel of `count` elements: an invocation's loop stops there, so
// one with nothing left (short channels, the last chunk) does not run idle steps.
fn chunk_end(k: u32, count: u32) -> u32 {
    return min(count, (k + 1u) * CHUNK);
}

// The sum of a lane's four partial sums, pairwise (two adds deep).
fn hsum(v: vec4<f32>) -> f32 {
    return (v.x + v.y) + (v.z + v.w);
}

// #if alone
// What an importer declares (kept only when this library is checked on its own).
@group(0) @binding(0) var<uniform> p: Params;
// #endif
