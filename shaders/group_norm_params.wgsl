// Library: the Params struct shared by the group_norm kernels (must match `Params` in
// src/kernels/group_norm/mod.rs) and where a lane of a plane tile reads. A plane is one
// (image, channel) of hw values; a group's cg planes are consecutive, so group r of the
// n * groups (image, group) pairs starts at value r * cg * hw and spans plane r * cg onwards.

// import common, segments

struct Params {
    n: u32,
    c: u32,
    hw: u32,
    groups: u32,
    cg: u32, // channels per group
    shift: u32, // log2 of the lanes per plane (shaders/segments.wgsl)
    chunks: u32, // workgroups along one plane
    eps: f32,
    gshift: u32, // log2 of the lanes per group in the passes that sum partials
    cshift: u32, // log2 of the lanes per channel in group_norm_backward_sums
    gtiles: u32, // workgroups of groups in group_norm_backward_sums (channels follow)
}

// Values a lane adds per chunk: set by the launcher (src/kernels/group_norm/mod.rs) from
// `segments::PER_LANE`, which sizes the chunks.
override PER_LANE: u32;

// Offset in its plane of the i-th value that `lane` handles in chunk `k` (may be >= hw):
// consecutive lanes read consecutive values.
fn plane_offset(k: u32, i: u32, lane: u32) -> u32 {
    return ((k * PER_LANE + i) << p.shift) + lane;
}

// What a lane of a plane tile works on (`plane_of`).
struct Plane {
    index: u32, // (image, channel) plane: image * c + channel
    lane: u32, // the lane within the plane's 2^shift
    live: bool, // index < n * c (the last tile may overhang)
    group: u32, // (image, group) r whose statistics the plane uses
    channel: u32,
    base: u32, // offset of the plane's first value
}

// The plane of invocation `lid` of workgroup `wid` in the passes over the values.
fn plane_of(wid: vec3<u32>, lid: u32) -> Plane {
    let s = segment_of(wid, lid, p.shift);
    let i = s.x;
    return Plane(i, s.y, i < p.n * p.c, udiv(i, p.cg), i - udiv(i, p.c) * p.c, i * p.hw);
}

// #if alone
// What an importer declares (kept only when this library is checked on its own).
@group(0) @binding(0) var<uniform> p: Params;
// #endif
