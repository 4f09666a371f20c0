// t_batch[i] = ts[k] for the n images of a sampling run; state = [k, seed_lo, seed_hi, 0].
// The network's time embedding reads t_batch.

struct Params {
    n: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ts: array<u32>;
@group(0) @binding(2) var<storage, read> state: array<u32>;
@group(0) @binding(3) var<storage, read_write> t_batch: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i >= p.n) {
        return;
    }
    t_batch[i] = ts[state[0]];
}
