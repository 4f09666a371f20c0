// Library: the Params struct and index split shared by concat and concat_backward (Params
// must match `Params` in src/kernels/concat.rs).

struct Params {
    total: u32, // n * (c1 + c2) * hw
    c1: u32,
    c2: u32,
    hw: u32,
}

// (batch, channel, spatial) of flat index i into the concatenated [n, c1 + c2, hw] tensor.
fn concat_split(i: u32) -> vec3<u32> {
    let c = p.c1 + p.c2;
    return vec3<u32>(i / (p.hw * c), (i / p.hw) % c, i % p.hw);
}
