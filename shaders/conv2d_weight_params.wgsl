// Library: the Params of the two weight-gradient passes of conv2d (conv2d_backward_weight,
// conv2d_backward_weight_reduce), mirrored by `WeightParams` in
// src/kernels/conv2d/backward_weight.rs.

struct Params {
    n: u32,
    cin4: u32,
    cout4: u32,
    h: u32,
    w: u32,
    k: u32,
    splits: u32,
    rows: u32, // output rows (of N*H) per split
    npl: u32,
    units: u32, // cout4 * cin4 * k
    invocations: u32, // per split: units (k = 1), units with the output groups paired (k = 3)
    cin: u32, // channels (for the reduce pass)
    cout: u32,
}
