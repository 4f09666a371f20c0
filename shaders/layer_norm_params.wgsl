// Library: the Params struct shared by the layer_norm kernels (must match `Params` in
// src/kernels/layer_norm.rs). x is [rows, c], normalised along c.

struct Params {
    rows: u32,
    c: u32,
    shift: u32, // log2 of the lanes per row (shaders/segments.wgsl)
    chunk_rows: u32, // rows per partial of the dgamma/dbeta reduction
    chunks: u32, // partials per column: ceil(rows / chunk_rows)
    eps: f32,
    sum_shift: u32, // log2 of the lanes per column in layer_norm_backward_params_sum
}
