// First pass of the conv2d weight gradient: dw[co][ci][ky][kx] = sum over n, oh, ow of
// dy[n][co][oh][ow] * x[n][ci][oh+ky-1][ow+kx-1] (and db[co] = sum of dy), split over
// `splits` ranges of the N*H output rows; conv2d_backward_weight_reduce adds the splits in
// a fixed order (deterministic, no atomics).
// x and dy come packed by conv2d_pack_input (zero border, 4 channels per texel). An
// invocation owns 4 output x 4 input channels x one kernel row ky (k = 3: 48 sums as 12
// vec4s over the input channels) and walks its rows of pixels left to right, keeping the
// three x texels of the window in registers: 2 texture loads per 48 multiply-adds.

struct Params {
    n: u32,
    cin4: u32,
    cout4: u32,
    h: u32,
    w: u32,
    k: u32,
    splits: u32,
    rows: u32, // output rows (of N*H) per split
    npl: u32,
    units: u32, // cout4 * cin4 * k
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var xt: texture_2d_array<f32>;
@group(0) @binding(2) var dyt: texture_2d_array<f32>;
// partial sums [split][unit][48] (k = 3) or [split][unit][16] (k = 1), then [split][cout4][4] for db
@group(0) @binding(3) var<storage, read_write> part: array<vec4<f32>>;

const WGS: u32 = 64u;

// One invocation per (split, unit): flat index split * units + unit, so small layers (few
// units) do not leave most lanes of a workgroup idle.
struct Unit {
    co4: u32,
    ci4: u32,
    ky: u32,
    split: u32,
    r0: u32,
    r1: u32,
    valid: bool,
}

fn unit_of(wid: vec3<u32>, lid: u32) -> Unit {
    var u: Unit;
    let flat = (wid.x + wid.y * 65535u) * WGS + lid;
    u.valid = flat < p.units * p.splits;
    let f = min(flat, p.units * p.splits - 1u);
    let i = f % p.units;
    u.split = f / p.units;
    u.co4 = i % p.cout4;
    u.ci4 = (i / p.cout4) % p.cin4;
    u.ky = i / (p.cout4 * p.cin4);
    u.r0 = u.split * p.rows;
    u.r1 = min(u.r0 + p.rows, p.n * p.h);
    return u;
}

// Where this invocation's partial sums start in `part`, in vec4s.
fn part_base(u: Unit, per_unit: u32) -> u32 {
    let i = (u.ky * p.cin4 + u.ci4) * p.cout4 + u.co4;
    return (u.split * p.units + i) * per_unit;
}

// Texel of a packed tensor at padded coordinates (col within the channel group, row within
// the image) of image n, channel group c4.
fn texel(t: texture_2d_array<f32>, n: u32, c4: u32, col: u32, row: u32) -> vec4<f32> {
    let x = c4 * (p.w + 2u) + col;
    let y = (n % p.npl) * (p.h + 2u) + row;
    return textureLoad(t, vec2<u32>(x, y), n / p.npl, 0);
}

@compute @workgroup_size(WGS)
fn main_k3(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let u = unit_of(wid, lid);
    // acc[c * 3 + kx]: output channel co4*4 + c, tap kx, vec4 over the 4 input channels
    var acc: array<vec4<f32>, 12>;
    var dsum = vec4<f32>(0.0);
    for (var r = u.r0; r < u.r1; r++) {
        let n = r / p.h;
        let oh = r % p.h;
        // window columns ow-1, ow, ow+1 in padded coordinates are ow, ow+1, ow+2
        var xa = texel(xt, n, u.ci4, 0u, oh + u.ky);
        var xb = texel(xt, n, u.ci4, 1u, oh + u.ky);
        for (var ow = 0u; ow < p.w; ow++) {
            let xc = texel(xt, n, u.ci4, ow + 2u, oh + u.ky);
            let d = texel(dyt, n, u.co4, ow + 1u, oh + 1u);
            dsum += d;
            for (var c = 0u; c < 4u; c++) {
                acc[c * 3u] += d[c] * xa;
                acc[c * 3u + 1u] += d[c] * xb;
                acc[c * 3u + 2u] += d[c] * xc;
            }
            xa = xb;
            xb = xc;
        }
    }
    if (u.valid) {
        let base = part_base(u, 12u);
        for (var k = 0u; k < 12u; k++) {
            part[base + k] = acc[k];
        }
        write_db(u, dsum);
    }
}

@compute @workgroup_size(WGS)
fn main_k1(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let u = unit_of(wid, lid);
    var acc: array<vec4<f32>, 4>;
    var dsum = vec4<f32>(0.0);
    for (var r = u.r0; r < u.r1; r++) {
        let n = r / p.h;
        let oh = r % p.h;
        for (var ow = 0u; ow < p.w; ow++) {
            let xv = texel(xt, n, u.ci4, ow + 1u, oh + 1u);
            let d = texel(dyt, n, u.co4, ow + 1u, oh + 1u);
            dsum += d;
            for (var c = 0u; c < 4u; c++) {
                acc[c] += d[c] * xv;
            }
        }
    }
    if (u.valid) {
        let base = part_base(u, 4u);
        for (var k = 0u; k < 4u; k++) {
            part[base + k] = acc[k];
        }
        write_db(u, dsum);
    }
}

// The bias gradient: from the units of the first input group and kernel row only.
fn write_db(u: Unit, dsum: vec4<f32>) {
    if (u.ci4 == 0u && u.ky == 0u) {
        let per_unit = select(4u, 12u, p.k == 3u);
        part[p.splits * p.units * per_unit + u.split * p.cout4 + u.co4] = dsum;
    }
}
