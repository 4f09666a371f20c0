// Library: `spread`, how the conv kernels hand the 8 weight texels of a tap to every lane.
// The path is chosen once per adapter (`gpu::Spread`) and selects a branch below by the
// `subgroup` condition; both branches have the same interface. The importer defines
// `fn spread_texel(at: vec2<u32>) -> vec4<f32>`, a load from its weight texture (a texture is
// not passed as an argument: naga's MSL output cannot take a storage texture parameter).
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
fn spread_load(base: u32, lane: u32) -> vec4<f32> {
    let i = base + lane;
    return spread_texel(vec2<u32>(i & 1023u, i >> 10u));
}

// Texel `base + i` (i < 8 and constant after unrolling), taken from lane i's share.
fn spread(mine: vec4<f32>, base: u32, i: u32) -> vec4<f32> {
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
fn spread_load(base: u32, lane: u32) -> vec4<f32> {
    return vec4<f32>(0.0);
}

// Texel `base + i` of a texture laid out in rows of 1024 texels.
fn spread(mine: vec4<f32>, base: u32, i: u32) -> vec4<f32> {
    let k = base + i;
    return spread_texel(vec2<u32>(k & 1023u, k >> 10u));
}
// #endif

// #if alone
// What an importer declares (kept only when this library is checked on its own).
fn spread_texel(at: vec2<u32>) -> vec4<f32> {
    return vec4<f32>(0.0);
}
// #endif
