// Batched transpose y[b, s, r] = x[b, r, s] for x [batch, rows, cols]: [n, C, H*W] images to
// [n, H*W, C] attention tokens and back (launchers: src/kernels/tokens.rs). `main` overwrites
// y; `accumulate` adds into it (the backward of either direction is the other transpose).
// One invocation per output element, the batch on the grid's y axis, so the in-batch index
// stays small enough for `udiv`.

struct Params {
    rows: u32,
    cols: u32,
    per_batch: u32, // rows * cols
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// (index into x, index into y) of output element `o` of batch `b`; o < per_batch.
fn transposed(b: u32, o: u32) -> vec2<u32> {
    let s = udiv(o, p.rows);
    let r = o - s * p.rows;
    let base = b * p.per_batch;
    return vec2<u32>(base + r * p.cols + s, base + o);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x >= p.per_batch) {
        return;
    }
    let at = transposed(gid.y, gid.x);
    y[at.y] = x[at.x];
}

@compute @workgroup_size(256)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x >= p.per_batch) {
        return;
    }
    let at = transposed(gid.y, gid.x);
    y[at.y] += x[at.x];
}
