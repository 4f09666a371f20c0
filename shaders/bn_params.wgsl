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

// Values of a channel each invocation covers per chunk: set by the launcher
// (src/kernels/batchnorm/mod.rs), which counts the chunks.
override PER_THREAD: u32;
override CHUNK: u32 = WG * PER_THREAD;

// Index into an NCHW tensor of the e-th value of channel ch (e < m).
fn channel_index(e: u32, ch: u32) -> u32 {
    let ni = udiv(e, p.hw);
    return (ni * p.c + ch) * p.hw + (e - ni * p.hw);
}

// #if alone
// What an importer declares (kept only when this library is checked on its own).
@group(0) @binding(0) var<uniform> p: Params;
// #endif
