// x[e] = N(0, 1) for e in 0..len, keyed by the seed in the sampler state
// [k, seed_lo, seed_hi, 0], stream 0, purpose XT (start noise x_T of a sampling run).
// One invocation writes the element pair (2j, 2j+1).

// import rng, grid_pairs

struct Params {
    len: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> state: array<u32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;

// Entry point: shaders/grid_pairs.wgsl.
fn pair(j: u32, e: u32) {
    let z = rng_normal2(vec2<u32>(state[1], state[2]), j, vec2<u32>(0u, 0u), PURPOSE_XT);
    x[e] = z.x;
    if (e + 1u < p.len) {
        x[e + 1u] = z.y;
    }
}
