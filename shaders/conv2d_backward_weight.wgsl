// First pass of the conv2d weight gradient: dw[co][ci][ky][kx] = sum over n, oh, ow of
// dy[n][co][oh][ow] * x[n][ci][oh+ky-1][ow+kx-1] (and db[co] = sum of dy), split over
// `splits` ranges of the N*H output rows; conv2d_backward_weight_reduce adds the splits in
// a fixed order (deterministic, no atomics).
// x and dy come packed by conv2d_pack_input (zero border, 4 channels per texel). A unit is
// 4 output x 4 input channels x one kernel row ky (k = 3: 48 sums as 12 vec4s over the input
// channels). An invocation owns two units with neighbouring output groups (k = 3) and walks
// its rows of pixels left to right, keeping the three x texels of the window in registers:
// 3 texture loads per 96 multiply-adds. (A variant that handed dy round between lanes with
// subgroup shuffles, main_k3_shared, ran 8-33% slower than this one once the textures were
// read as storage textures; BENCHMARKS.md, issue 23.)

// import conv2d_weight_params

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var xt: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(2) var dyt: texture_storage_2d_array<rgba32float, read>;
// partial sums [split][unit][48] (k = 3) or [split][unit][16] (k = 1), then [split][cout4][4] for db
@group(0) @binding(3) var<storage, read_write> part: array<vec4<f32>>;

const WGS: u32 = 64u;

// One invocation per (split, unit or unit pair): flat index split * invocations + i, so
// small layers (few units) do not leave most lanes of a workgroup idle. With `pair`, the
// invocation owns output groups co4 and co4 + 1 (the second may not exist: `second`).
struct Unit {
    co4: u32,
    ci4: u32,
    ky: u32,
    split: u32,
    r0: u32,
    r1: u32,
    valid: bool,
    second: bool,
}

fn unit_of(wid: vec3<u32>, lid: u32, pair: bool) -> Unit {
    var u: Unit;
    let flat = (wid.x + wid.y * 65535u) * WGS + lid;
    u.valid = flat < p.invocations * p.splits;
    let f = min(flat, p.invocations * p.splits - 1u);
    let i = f % p.invocations;
    u.split = f / p.invocations;
    let groups = select(p.cout4, (p.cout4 + 1u) / 2u, pair);
    let g = i % groups;
    u.co4 = select(g, 2u * g, pair);
    u.second = pair && u.co4 + 1u < p.cout4;
    u.ci4 = (i / groups) % p.cin4;
    u.ky = i / (groups * p.cin4);
    u.r0 = u.split * p.rows;
    u.r1 = min(u.r0 + p.rows, p.n * p.h);
    return u;
}

// Where this invocation's partial sums start in `part`, in vec4s.
fn part_base(u: Unit, co4: u32, per_unit: u32) -> u32 {
    let i = (u.ky * p.cin4 + u.ci4) * p.cout4 + co4;
    return (u.split * p.units + i) * per_unit;
}

// Where row `row` (padded coordinates) of image n, channel group c4 starts in a packed
// texture: x of its first texel, y, layer. Computed once per row: the divisions stay out of
// the pixel loop.
struct RowStart {
    x: u32,
    y: u32,
    layer: u32,
}

fn row_start(n: u32, c4: u32, row: u32) -> RowStart {
    let layer = n / p.npl;
    return RowStart(c4 * (p.w + 2u), (n - layer * p.npl) * (p.h + 2u) + row, layer);
}

// Texel `col` of a row of x or of dy (a texture is not passed as an argument: naga's MSL
// output cannot take a storage texture parameter).
fn at_x(r: RowStart, col: u32) -> vec4<f32> {
    return textureLoad(xt, vec2<u32>(r.x + col, r.y), r.layer);
}

fn at_dy(r: RowStart, col: u32) -> vec4<f32> {
    return textureLoad(dyt, vec2<u32>(r.x + col, r.y), r.layer);
}

// a[kx] += d * x at tap kx, for one output channel (d) and the unit's 4 input channels.
fn accum3(a: ptr<function, array<vec4<f32>, 3>>, d: f32, xa: vec4<f32>, xb: vec4<f32>, xc: vec4<f32>) {
    (*a)[0] += d * xa;
    (*a)[1] += d * xb;
    (*a)[2] += d * xc;
}

fn store3(base: u32, a: array<vec4<f32>, 3>) {
    part[base] = a[0];
    part[base + 1u] = a[1];
    part[base + 2u] = a[2];
}

@compute @workgroup_size(WGS)
fn main_k3(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let u = unit_of(wid, lid, true);
    let co4b = min(u.co4 + 1u, p.cout4 - 1u);
    // a<c>[kx]: output channel co4*4 + c (b<c>: the second group), tap kx, a vec4 over the
    // unit's 4 input channels; named arrays with constant indices stay in registers.
    var a0: array<vec4<f32>, 3>;
    var a1: array<vec4<f32>, 3>;
    var a2: array<vec4<f32>, 3>;
    var a3: array<vec4<f32>, 3>;
    var b0: array<vec4<f32>, 3>;
    var b1: array<vec4<f32>, 3>;
    var b2: array<vec4<f32>, 3>;
    var b3: array<vec4<f32>, 3>;
    var dsum = vec4<f32>(0.0);
    var dsumb = vec4<f32>(0.0);
    for (var r = u.r0; r < u.r1; r++) {
        let n = r / p.h;
        let oh = r - n * p.h;
        let xr = row_start(n, u.ci4, oh + u.ky);
        let dr = row_start(n, u.co4, oh + 1u);
        let drb = row_start(n, co4b, oh + 1u);
        // window columns ow-1, ow, ow+1 in padded coordinates are ow, ow+1, ow+2
        var xa = at_x(xr, 0u);
        var xb = at_x(xr, 1u);
        for (var ow = 0u; ow < p.w; ow++) {
            let xc = at_x(xr, ow + 2u);
            let d = at_dy(dr, ow + 1u);
            let e = at_dy(drb, ow + 1u);
            dsum += d;
            dsumb += e;
            accum3(&a0, d.x, xa, xb, xc);
            accum3(&a1, d.y, xa, xb, xc);
            accum3(&a2, d.z, xa, xb, xc);
            accum3(&a3, d.w, xa, xb, xc);
            accum3(&b0, e.x, xa, xb, xc);
            accum3(&b1, e.y, xa, xb, xc);
            accum3(&b2, e.z, xa, xb, xc);
            accum3(&b3, e.w, xa, xb, xc);
            xa = xb;
            xb = xc;
        }
    }
    if (u.valid) {
        // partial layout per unit: [c][kx] vec4 (see conv2d_backward_weight_reduce.wgsl)
        let base = part_base(u, u.co4, 12u);
        store3(base, a0);
        store3(base + 3u, a1);
        store3(base + 6u, a2);
        store3(base + 9u, a3);
        write_db(u, u.co4, dsum);
        if (u.second) {
            let bb = part_base(u, co4b, 12u);
            store3(bb, b0);
            store3(bb + 3u, b1);
            store3(bb + 6u, b2);
            store3(bb + 9u, b3);
            write_db(u, co4b, dsumb);
        }
    }
}

@compute @workgroup_size(WGS)
fn main_k1(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let u = unit_of(wid, lid, false);
    var a = vec4<f32>(0.0);
    var b = vec4<f32>(0.0);
    var c = vec4<f32>(0.0);
    var e = vec4<f32>(0.0);
    var dsum = vec4<f32>(0.0);
    for (var r = u.r0; r < u.r1; r++) {
        let n = r / p.h;
        let oh = r - n * p.h;
        let xr = row_start(n, u.ci4, oh + 1u);
        let dr = row_start(n, u.co4, oh + 1u);
        for (var ow = 0u; ow < p.w; ow++) {
            let xv = at_x(xr, ow + 1u);
            let d = at_dy(dr, ow + 1u);
            dsum += d;
            a += d.x * xv;
            b += d.y * xv;
            c += d.z * xv;
            e += d.w * xv;
        }
    }
    if (u.valid) {
        let base = part_base(u, u.co4, 4u);
        part[base] = a;
        part[base + 1u] = b;
        part[base + 2u] = c;
        part[base + 3u] = e;
        write_db(u, u.co4, dsum);
    }
}

// The bias gradient: from the units of the first input group and kernel row only.
fn write_db(u: Unit, co4: u32, dsum: vec4<f32>) {
    if (u.ci4 == 0u && u.ky == 0u) {
        let per_unit = select(4u, 12u, p.k == 3u);
        part[p.splits * p.units * per_unit + u.split * p.cout4 + co4] = dsum;
    }
}
