// Library: the Params struct shared by maxpool, upsample and their backward kernels (must
// match `Params` in src/kernels/maxpool.rs and src/kernels/upsample.rs). h, w are the
// larger (full-resolution) plane's; what `total` counts is up to each kernel.

struct Params {
    h: u32,
    w: u32,
    total: u32,
    _pad: u32,
}
