// Library: `spread` for adapters with subgroups (the choice is made once per adapter; see
// `Gpu::spread` and shaders/spread_plain.wgsl, which has the same interface).
// Eight values that every lane needs are loaded one per lane and handed round with
// subgroupShuffle: on llvmpipe a shuffle with a constant lane is a vector shuffle (nearly
// free), on GPUs it is a register exchange. Needs subgroups of at least 8 lanes.

struct Ids {
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
    @builtin(subgroup_invocation_id) sgid: u32,
}

// Which of the 8 texels this lane loads.
fn spread_lane(ids: Ids) -> u32 {
    return ids.sgid & 7u;
}

// This lane's share: texel `base + lane` of a texture laid out in rows of 1024 texels.
fn spread_load(t: texture_2d<f32>, base: u32, lane: u32) -> vec4<f32> {
    let i = base + lane;
    return textureLoad(t, vec2<u32>(i & 1023u, i >> 10u), 0);
}

// Texel `base + i` (i < 8 and constant after unrolling), taken from lane i's share.
fn spread(t: texture_2d<f32>, mine: vec4<f32>, base: u32, i: u32) -> vec4<f32> {
    return subgroupShuffle(mine, i);
}
