// Second pass of conv2d_backward_weight: dw[i] += sum_s pw[s, i] and db[j] += sum_s pb[s, j],
// summing the split partials in a fixed order (deterministic). Invocations 0..nw handle dw,
// nw..nw+cout handle db.

struct Params {
    n: u32,
    cin: u32,
    cout: u32,
    h: u32,
    w: u32,
    splits: u32,
    rows: u32,
    nw: u32,
    blocks_in: u32,
    blocks_out: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> pw: array<f32>;
@group(0) @binding(2) var<storage, read> pb: array<f32>;
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;
@group(0) @binding(4) var<storage, read_write> db: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    if (i < p.nw) {
        var acc = 0.0;
        for (var s = 0u; s < p.splits; s++) {
            acc += pw[s * p.nw + i];
        }
        dw[i] += acc;
    } else if (i < p.nw + p.cout) {
        let j = i - p.nw;
        var acc = 0.0;
        for (var s = 0u; s < p.splits; s++) {
            acc += pb[s * p.cout + j];
        }
        db[j] += acc;
    }
}
