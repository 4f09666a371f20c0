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
    lane_shift: u32, // log2 of the invocations per (channel, chunk): `slot`
}

// Elements of a channel each invocation covers per chunk, on a long channel (a whole
// workgroup per chunk) and on a short one (one chunk, fewer invocations, each given up to
// SHORT_PER_THREAD elements): set by the launcher (src/kernels/batchnorm/mod.rs), which
// counts the chunks. An element is an f32, or a vec4 on the `_vec4` entry points (planes of
// hw % 4 == 0).
override PER_THREAD: u32;
override SHORT_PER_THREAD: u32;

// Where an invocation of the chunked passes works: a workgroup's WG invocations are split
// into runs of 2^lane_shift, each run one (channel, chunk); runs cover consecutive channels
// (workgroup (k, y) covers chunk k of channels y * runs ..). A long channel gets the whole
// workgroup (lane_shift 8) and several chunks; a short one fewer invocations and one chunk,
// so the workgroup's fixed costs (its barriers cost every 8-lane batch on llvmpipe) are
// shared by several channels and each invocation gets more than a few elements. `valid`:
// the channel exists.
struct Slot {
    ch: u32,
    lane: u32,
    lanes: u32,
    valid: bool,
}

fn slot(wid: vec3<u32>, lid: u32) -> Slot {
    let ch = (wid.y << (8u - p.lane_shift)) + (lid >> p.lane_shift);
    let lanes = 1u << p.lane_shift;
    return Slot(min(ch, p.c - 1u), lid & (lanes - 1u), lanes, ch < p.c);
}

// Elements per chunk.
fn chunk_len() -> u32 {
    return select(SHORT_PER_THREAD << p.lane_shift, PER_THREAD << 8u, p.lane_shift == 8u);
}

// Within a run, invocations go in groups of GROUP (llvmpipe's 8-lane batch, which runs its
// whole loop before the next batch starts): group g takes the g-th block of the chunk and its
// lanes adjacent elements, so a batch streams through one contiguous block instead of
// striding over the whole chunk (a GPU's subgroup still reads whole 128-byte segments).
const GROUP: u32 = 8u;

// The first element of invocation `s`'s block in chunk k.
fn block_start(k: u32, s: Slot) -> u32 {
    let per_lane = chunk_len() >> p.lane_shift;
    return k * chunk_len() + (s.lane / GROUP) * per_lane * GROUP;
}

// Where an invocation's loop over chunk k of a channel of `count` elements stops: the end
// of its block or of the channel (0 for a slot past the last channel), so one with nothing
// left does not run idle steps.
fn chunk_end(k: u32, count: u32, s: Slot) -> u32 {
    let block_end = block_start(k, s) + (chunk_len() >> p.lane_shift) * GROUP;
    return select(0u, min(count, block_end), s.valid);
}

// Invocation `s`'s walk over its elements of chunk k.
fn chunk_walk(k: u32, s: Slot, l: u32) -> Walk {
    return walk_start(block_start(k, s) + s.lane % GROUP, GROUP, s.ch, l);
}

// A walk over the elements e, e + step, e + 2 step, .. of channel `ch`, which has n planes of
// `l` elements each (l = hw, or hw / 4 in vec4s): `a` is where element e lies in the NCHW
// tensor. One division starts it; each step is adds and a select (an integer division by a
// non-constant is 8 scalar divisions per 8 lanes on llvmpipe, and udiv's float one costs
// more than the step).
struct Walk {
    a: u32, // index into the tensor (in elements)
    j: u32, // position in the plane
    e: u32, // index among the channel's elements
    l: u32,
    step: u32,
    r: u32, // step = q l + r: each step moves r along the plane ...
    jump: u32, // ... and q images: q c l + r elements
}

fn walk_start(e: u32, step: u32, ch: u32, l: u32) -> Walk {
    let ni = udiv(e, l);
    let j = e - ni * l;
    let q = udiv(step, l);
    let r = step - q * l;
    return Walk((ni * p.c + ch) * l + j, j, e, l, step, r, q * p.c * l + r);
}

// The element `step` further on; r < l, so the plane position wraps at most once, into the
// next image: (c - 1) l elements further.
fn walk_next(w: Walk) -> Walk {
    var v = w;
    v.j += w.r;
    v.a += w.jump;
    v.e += w.step;
    let wrap = v.j >= w.l;
    v.j = select(v.j, v.j - w.l, wrap);
    v.a = select(v.a, v.a + (p.c - 1u) * w.l, wrap);
    return v;
}

// The sum of a lane's four partial sums, pairwise (two adds deep).
fn hsum(v: vec4<f32>) -> f32 {
    return (v.x + v.y) + (v.z + v.w);
}

// #if alone
// What an importer declares (kept only when this library is checked on its own).
@group(0) @binding(0) var<uniform> p: Params;
// #endif
