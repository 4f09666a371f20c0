// Library: the Params of the two weight-gradient passes of conv2d_geom and conv_transpose2d
// (conv2d_geom_backward_weight, conv2d_geom_backward_weight_reduce), mirrored by
// `WeightParams` in src/kernels/conv2d/geom_weight.rs.

struct Params {
    n: u32,
    g4: u32, // channel groups of g
    x4: u32, // channel groups of x
    gh: u32,
    gw: u32,
    k: u32,
    s: u32,
    kxb: u32, // blocks of 4 taps per kernel row
    splits: u32,
    rows: u32, // rows of g (of N*gh) per split
    units: u32, // g4 * x4 * k * kxb
    invocations: u32, // per split: units with the g groups paired
    g_tile_w: u32,
    g_tile_h: u32,
    g_npl: u32,
    g_top: u32,
    g_left: u32,
    x_tile_w: u32,
    x_tile_h: u32,
    x_npl: u32,
    gc: u32, // channels of g and x (for the reduce pass)
    xc: u32,
}
