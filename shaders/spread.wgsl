// Library: `spread`, how the conv kernels hand the 8 weight texels of a tap to every lane.
// The path is chosen once per adapter (`gpu::Spread`) and selects a branch below by the
// `subgroup` condition; both branches have the same interface.
//
// #if subgroup
// With subgroups: eight values that every lane needs are loaded one per lane and handed
// round with subgroupShuffle: on llvmpipe a shuffle with a constant lane is a vector shuffle
// (nearly free), on GPUs it is a register exchange. Needs subgroups of at least 8 lanes.
// #if web
// Browsers require the extension to be enabled; naga rejects the directive.
enable subgroups;
// #endif

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
// #else
// Without subgroups (or with subgroups under 8 lanes): every lane loads every texel itself.

struct Ids {
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
}

fn spread_lane(ids: Ids) -> u32 {
    return ids.lid & 7u;
}

// Nothing to share: `spread` loads directly.
fn spread_load(t: texture_2d<f32>, base: u32, lane: u32) -> vec4<f32> {
    return vec4<f32>(0.0);
}

// Texel `base + i` of a texture laid out in rows of 1024 texels.
fn spread(t: texture_2d<f32>, mine: vec4<f32>, base: u32, i: u32) -> vec4<f32> {
    let k = base + i;
    return textureLoad(t, vec2<u32>(k & 1023u, k >> 10u), 0);
}
// #endif
