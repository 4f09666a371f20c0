// First pass of the weight gradient of conv2d_geom and conv_transpose2d (see
// src/kernels/conv2d/geom_weight.rs): dw[o][i][ky][kx] = sum over n, r < gh, c < gw of
// g[n][o][r][c] * x[n][i][r*s + ky][c*s + kx], x in its packed coordinates (a border of the
// conv's padding). A strided Conv2d has g = dy, x = its input; a ConvTranspose2d has g = its
// input and x = dy, which gives its [cin, cout, k, k] gradient in the same formula.
// Split over `splits` ranges of the N*gh rows of g; conv2d_geom_backward_weight_reduce adds
// the splits in a fixed order (deterministic, no atomics).
//
// A unit is 4 channels of g x 4 channels of x x one kernel row ky x a block of 4 taps
// kx0..kx0+3 (taps past k are computed and dropped: the sums stay in named registers with
// constant indices, which a loop over k would not allow). An invocation owns two units
// with neighbouring g groups: per pixel of g, 2 + 4 texture loads for 128 multiply-adds
// (2 + 1 at stride 1, 2 + 2 at stride 2, where neighbouring pixels share x texels).

// import conv2d_geom_weight_params

// Params: shaders/conv2d_geom_weight_params.wgsl.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var gt: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(2) var xt: texture_storage_2d_array<rgba32float, read>;
// partial sums [split][unit][4 g channels][4 taps] as vec4 over the unit's x channels
@group(0) @binding(3) var<storage, read_write> part: array<vec4<f32>>;

const WGS: u32 = 64u;

struct Unit {
    go4: u32,
    xi4: u32,
    ky: u32,
    kb: u32,
    split: u32,
    r0: u32,
    r1: u32,
    valid: bool,
    second: bool, // the g group go4 + 1 exists
}

// Flat index split * invocations + i: small layers (few units) fill workgroups with splits.
fn unit_of(wid: vec3<u32>, lid: u32) -> Unit {
    var u: Unit;
    let flat = (wid.x + wid.y * 65535u) * WGS + lid;
    u.valid = flat < p.invocations * p.splits;
    let f = min(flat, p.invocations * p.splits - 1u);
    u.split = f / p.invocations;
    let i = f - u.split * p.invocations;
    let pairs = (p.g4 + 1u) / 2u;
    u.go4 = 2u * (i % pairs);
    u.second = u.go4 + 1u < p.g4;
    let rest = i / pairs;
    u.xi4 = rest % p.x4;
    let rest2 = rest / p.x4;
    u.kb = rest2 % p.kxb;
    u.ky = rest2 / p.kxb;
    u.r0 = u.split * p.rows;
    u.r1 = min(u.r0 + p.rows, p.n * p.gh);
    return u;
}

// A texel of x or of the output gradient g (a texture is not passed as an argument: naga's
// MSL output cannot take a storage texture parameter).
fn load_x(col: u32, row: u32, layer: u32) -> vec4<f32> {
    return textureLoad(xt, vec2<u32>(col, row), layer);
}

fn load_g(col: u32, row: u32, layer: u32) -> vec4<f32> {
    return textureLoad(gt, vec2<u32>(col, row), layer);
}

// a[t] += d * x_t for one g channel (d) over the block's 4 taps.
fn accum4(a: ptr<function, array<vec4<f32>, 4>>, d: f32, x0: vec4<f32>, x1: vec4<f32>, x2: vec4<f32>, x3: vec4<f32>) {
    (*a)[0] += d * x0;
    (*a)[1] += d * x1;
    (*a)[2] += d * x2;
    (*a)[3] += d * x3;
}

fn store4(base: u32, a: array<vec4<f32>, 4>) {
    part[base] = a[0];
    part[base + 1u] = a[1];
    part[base + 2u] = a[2];
    part[base + 3u] = a[3];
}

// Where the partial sums of g group go4 start in `part`, in vec4s.
fn part_base(u: Unit, go4: u32) -> u32 {
    let unit = ((u.ky * p.kxb + u.kb) * p.x4 + u.xi4) * p.g4 + go4;
    return (u.split * p.units + unit) * 16u;
}

// The weight gradient for stride S = 1 or 2 (a constant after inlining), which keeps the
// x texels the next pixel shares (4 - S of them) instead of loading them again, or for any
// stride p.s (S = 0).
fn run(wid: vec3<u32>, lid: u32, S: u32) {
    let u = unit_of(wid, lid);
    let go4b = min(u.go4 + 1u, p.g4 - 1u);
    // a<c>[t]: g channel go4*4 + c (b<c>: the second group), tap kx0 + t, a vec4 over the
    // unit's 4 x channels.
    var a0: array<vec4<f32>, 4>;
    var a1: array<vec4<f32>, 4>;
    var a2: array<vec4<f32>, 4>;
    var a3: array<vec4<f32>, 4>;
    var b0: array<vec4<f32>, 4>;
    var b1: array<vec4<f32>, 4>;
    var b2: array<vec4<f32>, 4>;
    var b3: array<vec4<f32>, 4>;
    for (var r = u.r0; r < u.r1; r++) {
        let n = r / p.gh;
        let gr = r - n * p.gh;
        let gl = n / p.g_npl;
        let grow = (n - gl * p.g_npl) * p.g_tile_h + p.g_top + gr;
        let gcol = u.go4 * p.g_tile_w + p.g_left;
        let gcolb = go4b * p.g_tile_w + p.g_left;
        let xl = n / p.x_npl;
        let xrow = (n - xl * p.x_npl) * p.x_tile_h + gr * p.s + u.ky;
        var xcol = u.xi4 * p.x_tile_w + u.kb * 4u;
        var x0 = load_x(xcol, xrow, xl);
        var x1 = load_x(xcol + 1u, xrow, xl);
        var x2 = load_x(xcol + 2u, xrow, xl);
        for (var c = 0u; c < p.gw; c++) {
            let d = load_g(gcol + c, grow, gl);
            let e = load_g(gcolb + c, grow, gl);
            if (S == 0u) {
                x0 = load_x(xcol, xrow, xl);
                x1 = load_x(xcol + 1u, xrow, xl);
            }
            if (S != 1u) {
                x2 = load_x(xcol + 2u, xrow, xl);
            }
            let x3 = load_x(xcol + 3u, xrow, xl);
            accum4(&a0, d.x, x0, x1, x2, x3);
            accum4(&a1, d.y, x0, x1, x2, x3);
            accum4(&a2, d.z, x0, x1, x2, x3);
            accum4(&a3, d.w, x0, x1, x2, x3);
            accum4(&b0, e.x, x0, x1, x2, x3);
            accum4(&b1, e.y, x0, x1, x2, x3);
            accum4(&b2, e.z, x0, x1, x2, x3);
            accum4(&b3, e.w, x0, x1, x2, x3);
            if (S == 1u) {
                x0 = x1;
                x1 = x2;
                x2 = x3;
            } else if (S == 2u) {
                x0 = x2;
                x1 = x3;
            }
            xcol += select(S, p.s, S == 0u);
        }
    }
    if (u.valid) {
        let base = part_base(u, u.go4);
        store4(base, a0);
        store4(base + 4u, a1);
        store4(base + 8u, a2);
        store4(base + 12u, a3);
        if (u.second) {
            let bb = part_base(u, go4b);
            store4(bb, b0);
            store4(bb + 4u, b1);
            store4(bb + 8u, b2);
            store4(bb + 12u, b3);
        }
    }
}

@compute @workgroup_size(WGS)
fn s1(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    run(wid, lid, 1u);
}

@compute @workgroup_size(WGS)
fn s2(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    run(wid, lid, 2u);
}

@compute @workgroup_size(WGS)
fn any_stride(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    run(wid, lid, 0u);
}
