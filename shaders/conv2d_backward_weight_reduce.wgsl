// Second pass of conv2d_backward_weight: dw[i] += sum over splits of the partials, and
// db[co] likewise, always in split order (deterministic). Invocations 0..cout*cin*k*k handle
// dw (OIHW), the next cout handle db.

// import conv2d_weight_params

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read_write> dw: array<f32>;
@group(0) @binding(3) var<storage, read_write> db: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_index(gid);
    let kk = p.k * p.k;
    let nw = p.cout * p.cin * kk;
    let per_unit = 16u * p.k; // 12 vec4 (k = 3) or 4 vec4 (k = 1)
    if (i < nw) {
        let tap = i % kk;
        let ci = (i / kk) % p.cin;
        let co = i / (kk * p.cin);
        let ky = tap / p.k;
        let kx = tap % p.k;
        let unit = (ky * p.cin4 + ci / 4u) * p.cout4 + co / 4u;
        // acc[c * k + kx] is a vec4 over the unit's 4 input channels
        let off = unit * per_unit + ((co % 4u) * p.k + kx) * 4u + ci % 4u;
        var acc = 0.0;
        for (var s = 0u; s < p.splits; s++) {
            acc += part[s * p.units * per_unit + off];
        }
        dw[i] += acc;
    } else if (i < nw + p.cout) {
        let co = i - nw;
        let base = p.splits * p.units * per_unit;
        var acc = 0.0;
        for (var s = 0u; s < p.splits; s++) {
            acc += part[base + (s * p.cout4 + co / 4u) * 4u + co % 4u];
        }
        db[co] += acc;
    }
}
