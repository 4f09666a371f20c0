// conv2d with a 3x3 kernel (padding 1) from a few input channels (a U-Net's first conv, from
// the image's C channels; `conv2d::thin` routes at most 4 here), straight on the NCHW
// buffers: no packing pass. The packed kernels (conv2d.wgsl) pad the input channels to 4 per
// texel, pack them first, and store one pixel at a time; this pass is store-bound, so it
// stores 4 adjacent pixels of one channel as a vec4 (w is a multiple of 4: a quad never
// straddles two rows; on llvmpipe a vec4 store moves 4 values for 1.6x the cost of one f32
// store). The input is x, or x + v[n, ci] broadcast over the pixels (`add`; the ConvBlock's
// time embedding), zero outside the image either way.
// One invocation per (n, output row, group of 4 output channels) walks the row's quads. The
// weight gradient: conv2d_thin_weight.wgsl.

// import conv2d_thin_input

struct Params {
    n: u32,
    cin: u32,
    cout: u32,
    h: u32,
    w: u32,
    cg: u32, // groups of 4 output channels: ceil(cout / 4)
    total: u32, // n * h * cg
    add: u32, // 1: the input is x + v
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<vec4<f32>>;

// acc[j] += the 3 taps of kernel row ky for output channel j.
fn tap_row(acc: ptr<function, array<vec4<f32>, 4>>, wv: ptr<function, array<vec4<f32>, 9>>, row: Row, ky: u32) {
    for (var j = 0u; j < 4u; j++) {
        (*acc)[j] += (*wv)[ky * 3u][j] * row.t0 + (*wv)[ky * 3u + 1u][j] * row.t1
            + (*wv)[ky * 3u + 2u][j] * row.t2;
    }
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = flat_index(gid);
    if (t >= p.total) {
        return;
    }
    let cg = t % p.cg;
    let r = t / p.cg;
    let n = r / p.h;
    let oy = r - n * p.h;
    let w4 = p.w / 4u;
    // Output channels cg * 4 + j (copies of the last one past cout, not stored).
    var co: array<u32, 4>;
    for (var j = 0u; j < 4u; j++) {
        co[j] = min(cg * 4u + j, p.cout - 1u);
    }
    // Input channels one after the other, each over the whole row: the input channel's
    // weights stay in registers (9 taps x 4 output channels, indexed by constants only, so
    // that no array goes to memory), and the row's outputs are added to (y is read back)
    // after the first.
    for (var ci = 0u; ci < p.cin; ci++) {
        var wv: array<vec4<f32>, 9>;
        for (var k = 0u; k < 9u; k++) {
            for (var j = 0u; j < 4u; j++) {
                wv[k][j] = weight[(co[j] * p.cin + ci) * 9u + k];
            }
        }
        var win = window_start(n, ci, oy);
        for (var q = 0u; q < w4; q++) {
            let next = input_quads(n, ci, oy, q + 1u);
            var acc: array<vec4<f32>, 4>;
            for (var j = 0u; j < 4u; j++) {
                let o = ((n * p.cout + co[j]) * p.h + oy) * w4 + q;
                if (ci == 0u) {
                    acc[j] = vec4<f32>(bias[co[j]]);
                } else {
                    acc[j] = y[o];
                }
            }
            // Written out rather than looped, so that every index into wv is a constant.
            tap_row(&acc, &wv, window_row(win, next, 0u), 0u);
            tap_row(&acc, &wv, window_row(win, next, 1u), 1u);
            tap_row(&acc, &wv, window_row(win, next, 2u), 2u);
            win = Window(win.cur, next);
            for (var j = 0u; j < 4u; j++) {
                if (cg * 4u + j < p.cout) {
                    y[((n * p.cout + co[j]) * p.h + oy) * w4 + q] = acc[j];
                }
            }
        }
    }
}
