// Library: the Params struct and chunking constants shared by the batchnorm kernels (must
// match `Params` and BN_CHUNK in src/kernels/batchnorm/mod.rs).

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

const PER_THREAD: u32 = 8u;
const CHUNK: u32 = 2048u; // WG * PER_THREAD

// Index into an NCHW tensor of the e-th value of channel ch (e < m).
fn channel_index(e: u32, ch: u32) -> u32 {
    let ni = udiv(e, p.hw);
    return (ni * p.c + ch) * p.hw + (e - ni * p.hw);
}
