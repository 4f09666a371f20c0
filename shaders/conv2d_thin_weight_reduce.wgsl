// Second pass of conv2d_thin_weight.wgsl: dw[co, ci, ky, kx] (items 0..cout * cin * 9, OIHW
// order) and then db[co] (the next cout items) += the sum of their partials in split order
// (deterministic, no atomics).

struct Params {
    n: u32,
    cin: u32,
    cout: u32,
    h: u32,
    w: u32,
    cg: u32,
    total: u32,
    add: u32,
    splits: u32,
    per_split: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read_write> dw: array<f32>;
@group(0) @binding(3) var<storage, read_write> db: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    let nw = p.cout * p.cin * 9u;
    if (i >= nw + p.cout) {
        return;
    }
    var s = 0.0;
    if (i < nw) {
        let tap = i % 9u;
        let ci = (i / 9u) % p.cin;
        let co = i / (9u * p.cin);
        let k = (co % 4u) * 9u + tap;
        for (var sp = 0u; sp < p.splits; sp++) {
            s += part[((sp * p.cg + co / 4u) * p.cin + ci) * 36u + k];
        }
        dw[i] += s;
    } else {
        let co = i - nw;
        let base = p.splits * p.cg * p.cin * 36u;
        for (var sp = 0u; sp < p.splits; sp++) {
            s += part[base + (sp * p.cg + co / 4u) * 4u + co % 4u];
        }
        db[co] += s;
    }
}
