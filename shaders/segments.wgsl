// Library: per-segment sums for kernels that reduce many short contiguous runs (GroupNorm's
// (image, channel) planes, LayerNorm's rows). A 256-invocation workgroup gives each segment
// 2^shift lanes (a power of two), so it covers 256 >> shift segments at once; its tiles run
// along y then z of the grid, and along x over chunks of a segment longer than the lanes
// cover (src/kernels/segments.rs builds the grid). Sums are fixed-order trees, no atomics.

// import common

var<workgroup> wseg: array<vec2<f32>, 256>;

// The segment of invocation `lid` of workgroup `wid` (x) and its lane within it (y).
fn segment_of(wid: vec3<u32>, lid: u32, shift: u32) -> vec2<u32> {
    return segment_at(tile_of(wid), lid, shift);
}

// Which tile of segments workgroup `wid` covers.
fn tile_of(wid: vec3<u32>) -> u32 {
    return wid.y + wid.z * GRID_ROW;
}

// `segment_of` for tile `tile` (kernels that give tile ranges different roles).
fn segment_at(tile: u32, lid: u32, shift: u32) -> vec2<u32> {
    return vec2<u32>((tile << (8u - shift)) + (lid >> shift), lid & ((1u << shift) - 1u));
}

// Sum of `v` over the 2^shift lanes of the caller's segment; every lane gets its segment's
// total. Call from uniform control flow with a uniform `shift`.
fn segment_sum2(lid: u32, v: vec2<f32>, shift: u32) -> vec2<f32> {
    let lane = lid & ((1u << shift) - 1u);
    wseg[lid] = v;
    workgroupBarrier();
    for (var s = (1u << shift) >> 1u; s > 0u; s >>= 1u) {
        if (lane < s) {
            wseg[lid] += wseg[lid + s];
        }
        workgroupBarrier();
    }
    let total = wseg[lid - lane];
    workgroupBarrier();
    return total;
}
