// conv2d with a 1x1 kernel to a few output channels (a U-Net's output conv, C channels
// from c1), straight on the NCHW buffers: no packing pass. The packed kernels (conv2d.wgsl)
// fill a block of 8 output channels and pack their input into a texture first; at 1 output
// channel that packing is most of the time. Every entry handles 4 adjacent pixels of one
// channel as a vec4 (h * w is a multiple of 4, so a quad never straddles two channels):
// on llvmpipe a vec4 store moves 4 values for 1.6x the cost of one f32 store, and the
// passes here are store-bound.
// - forward: y[n, co] = sum_ci w[co, ci] x[n, ci] + b[co], one invocation per (n, quad).
// - input: dx[n, ci] += sum_co w[co, ci] dy[n, co], one invocation per (n, quad).
// The weight gradient: conv2d_narrow_weight.wgsl.

const NCO: u32 = 4u; // most output channels; must match NARROW_CO in src/kernels/conv2d/narrow.rs

struct Params {
    n: u32,
    cin: u32,
    cout: u32,
    hw4: u32, // quads per channel: h * w / 4
    total: u32, // invocations
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i >= p.total) {
        return;
    }
    let n = udiv(i, p.hw4);
    let q = i - n * p.hw4;
    // Output channels one at a time (x is read again for each; there are at most NCO): plain
    // loops, no register array and no branch inside them, ran 1.6x faster than one pass
    // over x with NCO accumulators.
    for (var co = 0u; co < p.cout; co++) {
        var acc = vec4<f32>(bias[co]);
        for (var ci = 0u; ci < p.cin; ci++) {
            acc += weight[co * p.cin + ci] * x[(n * p.cin + ci) * p.hw4 + q];
        }
        y[(n * p.cout + co) * p.hw4 + q] = acc;
    }
}

// Binds dy as x and dx as y. The invocation's dy (cout <= NCO channels) is loaded once, into
// a register array indexed by constants only (the loops over NCO unroll; channels past cout
// skip their loads, a uniform branch): reloading it for each input channel ran 25% slower.
@compute @workgroup_size(256)
fn input(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i >= p.total) {
        return;
    }
    let n = udiv(i, p.hw4);
    let q = i - n * p.hw4;
    var g: array<vec4<f32>, NCO>;
    for (var co = 0u; co < NCO; co++) {
        if (co < p.cout) {
            g[co] = x[(n * p.cout + co) * p.hw4 + q];
        }
    }
    for (var ci = 0u; ci < p.cin; ci++) {
        var s = vec4<f32>(0.0);
        for (var co = 0u; co < NCO; co++) {
            if (co < p.cout) {
                s += weight[co * p.cin + ci] * g[co];
            }
        }
        let o = (n * p.cin + ci) * p.hw4 + q;
        y[o] += s;
    }
}
