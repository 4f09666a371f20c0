// Second pass of conv2d_narrow_weight.wgsl: the partial sums of its splits added up in
// split order (deterministic, no atomics).

const NCO: u32 = 4u; // most output channels; must match NARROW_CO in src/kernels/conv2d/narrow.rs

struct Params {
    n: u32,
    cin: u32,
    cout: u32,
    hw4: u32,
    total: u32,
    splits: u32,
    per_split: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read_write> dw: array<f32>;
@group(0) @binding(3) var<storage, read_write> db: array<f32>;

// dw[co, ci] += the sum over splits of its partials (items 0..cout * cin, OIHW order), then
// db[co] (the next cout items), in split order.
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    let nw = p.cout * p.cin;
    if (i >= nw + p.cout) {
        return;
    }
    var co = i - nw;
    var slot = p.cin;
    if (i < nw) {
        co = i / p.cin;
        slot = i - co * p.cin;
    }
    var s = 0.0;
    for (var k = 0u; k < p.splits; k++) {
        s += part[(k * (p.cin + 1u) + slot) * NCO + co];
    }
    if (i < nw) {
        dw[i] += s;
    } else {
        db[co] += s;
    }
}
