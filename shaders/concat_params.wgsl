// Library: the Params struct shared by concat and concat_backward (must match `Params` in
// src/kernels/concat.rs).

struct Params {
    total: u32, // n * (c1 + c2) * hw
    c1: u32,
    c2: u32,
    hw: u32,
}
