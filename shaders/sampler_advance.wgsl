// k += 1 in the sampler state [k, seed_lo, seed_hi, 0], saturating at k_max (single thread).

struct Params {
    k_max: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> state: array<u32>;

@compute @workgroup_size(1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x == 0u) {
        state[0] = min(state[0] + 1u, p.k_max);
    }
}
