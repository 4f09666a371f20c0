// Library: the Params struct shared by linear_backward_data and linear_backward_weight (must
// match `Params` in src/kernels/linear.rs).

struct Params {
    m: u32,
    k: u32,
    n: u32,
    k_blocks: u32, // ceil(k / 4)
}
