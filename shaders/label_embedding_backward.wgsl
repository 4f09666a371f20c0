// dtemb += dout;  dtable[r, k] += sum over images i with y[i] == r of dout[i, k].
// One thread per table entry walks the batch in order: deterministic, no atomics (the batch
// is small, so the O(n) loop per entry is cheap).

struct Params {
    n: u32,
    d: u32,
    rows: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> y: array<u32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;
@group(0) @binding(3) var<storage, read_write> dtemb: array<f32>;
@group(0) @binding(4) var<storage, read_write> dtable: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let e = flat_index(gid);
    let nd = p.n * p.d;
    if (e < nd) {
        dtemb[e] += dout[e];
    }
    if (e >= p.rows * p.d) {
        return;
    }
    let r = e / p.d;
    let k = e % p.d;
    var s = 0.0;
    for (var i = 0u; i < p.n; i++) {
        if (min(y[i], p.rows - 1u) == r) {
            s += dout[i * p.d + k];
        }
    }
    dtable[e] += s;
}
