// Library: the Params struct shared by the layer_norm kernels (must match `Params` in
// src/kernels/layer_norm.rs). x is [rows, c], normalised along c.

// import segments

struct Params {
    rows: u32,
    c: u32,
    shift: u32, // log2 of the lanes per row (shaders/segments.wgsl)
    chunk_rows: u32, // rows per partial of the dgamma/dbeta reduction
    chunks: u32, // partials per column: ceil(rows / chunk_rows)
    eps: f32,
    sum_shift: u32, // log2 of the lanes per column in layer_norm_backward_params_sum
}

// What a lane of a row tile works on (`row_of`): lanes lane, lane + 2^shift, ... of the row.
struct Row {
    index: u32,
    lane: u32,
    live: bool, // index < rows (the last tile may overhang)
    base: u32, // offset of the row's first value
}

// The row of invocation `lid` of workgroup `wid` in the kernels with a row per segment.
fn row_of(wid: vec3<u32>, lid: u32) -> Row {
    let s = segment_of(wid, lid, p.shift);
    return Row(s.x, s.y, s.x < p.rows, s.x * p.c);
}

// #if alone
// What an importer declares (kept only when this library is checked on its own).
@group(0) @binding(0) var<uniform> p: Params;
// #endif
