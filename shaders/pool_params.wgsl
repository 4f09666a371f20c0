// Library: the Params struct shared by maxpool, upsample and their backward kernels (must
// match `PoolParams` in src/kernels/pool_params.rs). h, w are the forward input's plane (the
// larger one for maxpool, the smaller for upsample); what `total` counts is up to each kernel.

struct Params {
    h: u32,
    w: u32,
    total: u32,
    _pad: u32,
}
