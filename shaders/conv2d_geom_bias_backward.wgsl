// db[c] += the sum of dy over n, h, w, read from dy as conv2d_pack_input packed it (for
// the backward-input and weight passes of conv2d_geom): summing whole tiles is exact because
// the border texels are zero. One workgroup per group of 4 channels; each invocation sums
// whole texel rows, then a fixed-order tree adds the invocations (deterministic).

// import workgroup_sum

struct Params {
    n: u32,
    c: u32,
    tile_w: u32,
    tile_h: u32,
    npl: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var dyt: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(2) var<storage, read_write> db: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let c4 = wid.x;
    let col0 = c4 * p.tile_w;
    var acc = vec4<f32>(0.0);
    for (var r = lid; r < p.n * p.tile_h; r += 256u) {
        let n = r / p.tile_h;
        let layer = n / p.npl;
        let row = r - layer * p.npl * p.tile_h;
        for (var x = 0u; x < p.tile_w; x++) {
            acc += textureLoad(dyt, vec2<u32>(col0 + x, row), layer);
        }
    }
    let lo = workgroup_sum2(lid, acc.xy);
    let hi = workgroup_sum2(lid, acc.zw);
    if (lid == 0u) {
        let total = vec4<f32>(lo, hi);
        for (var k = 0u; k < 4u; k++) {
            if (c4 * 4u + k < p.c) {
                db[c4 * 4u + k] += total[k];
            }
        }
    }
}
