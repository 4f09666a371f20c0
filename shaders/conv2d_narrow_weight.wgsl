// The weight gradient of conv2d_narrow.wgsl (a 1x1 conv to at most NCO output channels, on
// the NCHW buffers, 4 adjacent pixels of a channel as a vec4).
// Over one split of the n * h * w / 4 quads, the partial sums of dw[co, ci] = sum over
// (n, pixel) of dy[n, co] x[n, ci] and (lanes of ci = 0) of db[co] = sum dy[n, co]; one
// invocation per (split, ci). conv2d_narrow_weight_reduce.wgsl adds them up in split order
// (deterministic, no atomics).

const NCO: u32 = 4u; // most output channels; must match NARROW_CO in src/kernels/conv2d/narrow.rs

struct Params {
    n: u32,
    cin: u32,
    cout: u32,
    hw4: u32, // quads per channel: h * w / 4
    total: u32, // invocations of `partial`
    splits: u32, // splits of the n * hw4 quads
    per_split: u32, // quads per split
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> part: array<f32>;

// part[(split * (cin + 1) + ci) * NCO + co] holds the partial dw[co, ci]; slot ci = cin the
// partial db[co].
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i >= p.total) {
        return;
    }
    let split = i / p.cin;
    let ci = i - split * p.cin;
    let first = split * p.per_split;
    let last = min(first + p.per_split, p.n * p.hw4);
    let base = split * (p.cin + 1u);
    // Output channels one at a time (x is read again for each; there are at most NCO): plain
    // loops, no register array and no branch inside them, ran 1.5x faster than one pass over
    // the pixels with NCO accumulators.
    for (var co = 0u; co < p.cout; co++) {
        var acc = vec4<f32>(0.0);
        var sum = vec4<f32>(0.0);
        for (var m = first; m < last; m++) {
            let n = udiv(m, p.hw4);
            let q = m - n * p.hw4;
            let g = dy[(n * p.cout + co) * p.hw4 + q];
            acc += g * x[(n * p.cin + ci) * p.hw4 + q];
            sum += g;
        }
        part[(base + ci) * NCO + co] = (acc.x + acc.y) + (acc.z + acc.w);
        if (ci == 0u) {
            part[(base + p.cin) * NCO + co] = (sum.x + sum.y) + (sum.z + sum.w);
        }
    }
}
