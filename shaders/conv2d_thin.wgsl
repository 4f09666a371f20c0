// conv2d with a 3x3 kernel (padding 1) from at most NCI input channels (a U-Net's first conv,
// from the image's C channels), straight on the NCHW buffers: no packing pass. The packed
// kernels (conv2d.wgsl) pad the input channels to 4 per texel, pack them first, and store
// one pixel at a time; this pass is store-bound, so it stores 4 adjacent pixels of one
// channel as a vec4 (w is a multiple of 4: a quad never straddles two rows; on llvmpipe a
// vec4 store moves 4 values for 1.6x the cost of one f32 store).
// The input is x, or x + v[n, ci] broadcast over the pixels (`add`; the ConvBlock's time
// embedding), zero outside the image either way.
// One invocation per (n, output row, group of 4 output channels) walks the row's quads, its
// 4 x cin x 9 weights held in registers. The weight gradient: conv2d_thin_weight.wgsl.

// import conv2d_thin_input

const NCI: u32 = 4u; // most input channels; must match THIN_CI in src/kernels/conv2d/thin.rs

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
    // wr[(ci * 9 + tap) * 4 + j]: output channel cg * 4 + j (a copy of the last one past cout)
    var wr: array<f32, 144>;
    var b: vec4<f32>;
    for (var j = 0u; j < 4u; j++) {
        let co = min(cg * 4u + j, p.cout - 1u);
        b[j] = bias[co];
        for (var ci = 0u; ci < NCI; ci++) {
            if (ci < p.cin) {
                for (var q = 0u; q < 9u; q++) {
                    wr[(ci * 9u + q) * 4u + j] = weight[(co * p.cin + ci) * 9u + q];
                }
            }
        }
    }
    for (var q = 0u; q < p.w / 4u; q++) {
        var acc: array<vec4<f32>, 4>;
        for (var j = 0u; j < 4u; j++) {
            acc[j] = vec4<f32>(b[j]);
        }
        for (var ci = 0u; ci < NCI; ci++) {
            if (ci < p.cin) {
                for (var ky = 0u; ky < 3u; ky++) {
                    let row = input_row(n, ci, i32(oy + ky) - 1, q);
                    let k = (ci * 9u + ky * 3u) * 4u;
                    for (var j = 0u; j < 4u; j++) {
                        acc[j] += wr[k + j] * row.t0 + wr[k + 4u + j] * row.t1 + wr[k + 8u + j] * row.t2;
                    }
                }
            }
        }
        for (var j = 0u; j < 4u; j++) {
            let co = cg * 4u + j;
            if (co < p.cout) {
                y[((n * p.cout + co) * p.h + oy) * (p.w / 4u) + q] = acc[j];
            }
        }
    }
}
