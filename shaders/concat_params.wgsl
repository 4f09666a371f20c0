// Library: the Params struct and source index shared by concat and concat_backward (Params
// must match `Params` in src/kernels/concat.rs).

struct Params {
    total: u32, // n * (c1 + c2) * hw
    c1: u32,
    c2: u32,
    hw: u32,
}

// Where element i of the concatenated [n, c1 + c2, hw] tensor lives: x = 0 for a, 1 for b;
// y = its index there. `hw` is the plane's length in the elements indexed: p.hw values, or
// p.hw / 4 vec4s in the `main_vec4` entries (planes of hw % 4 == 0), which so divide a
// quarter as often (a division by a non-constant is 8 scalar divisions per 8 lanes on
// llvmpipe) and load and store 4 values at a time.
fn concat_source(i: u32, hw: u32) -> vec2<u32> {
    let c = p.c1 + p.c2;
    let ni = i / (hw * c);
    let ch = (i / hw) % c;
    let s = i % hw;
    if (ch < p.c1) {
        return vec2<u32>(0u, (ni * p.c1 + ch) * hw + s);
    }
    return vec2<u32>(1u, (ni * p.c2 + (ch - p.c1)) * hw + s);
}

// #if alone
// What an importer declares (kept only when this library is checked on its own).
@group(0) @binding(0) var<uniform> p: Params;
// #endif
