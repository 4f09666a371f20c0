// Library: `spread` for adapters without subgroups (or with subgroups under 8 lanes): the
// same interface as shaders/spread_subgroup.wgsl, but every lane loads every texel itself.

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
