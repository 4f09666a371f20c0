// First pass of dw += sum_{n,h,w} dy * x-patch, db += sum_{n,h,w} dy for conv2d (stride 1,
// padding k/2, k = 3 or 1). The N*H output rows are cut into `splits` chunks of `rows` rows;
// chunk s writes its partial sums to pw[s, cout, cin, k, k] and pb[s, cout] (no atomics), and
// conv2d_backward_weight_reduce adds the chunks in order, so the result is deterministic.
// x [n, cin, h, w], dy [n, cout, h, w].

struct Params {
    n: u32,
    cin: u32,
    cout: u32,
    h: u32,
    w: u32,
    splits: u32,
    rows: u32,
    // cout * cin * k * k
    nw: u32,
    // ceil(cin / 4), ceil(cout / 4)
    blocks_in: u32,
    blocks_out: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> pw: array<f32>;
@group(0) @binding(4) var<storage, read_write> pb: array<f32>;

const TILE_INV: u32 = 64u;

// k = 3: one invocation = 1 input channel x 4 output channels x 9 taps (twelve vec3
// accumulators over kh), sliding a 3x3 window of x along each row.
fn store_k3(base: u32, a0: vec3<f32>, a1: vec3<f32>, a2: vec3<f32>) {
    pw[base] = a0.x;
    pw[base + 1u] = a1.x;
    pw[base + 2u] = a2.x;
    pw[base + 3u] = a0.y;
    pw[base + 4u] = a1.y;
    pw[base + 5u] = a2.y;
    pw[base + 6u] = a0.z;
    pw[base + 7u] = a1.z;
    pw[base + 8u] = a2.z;
}

@compute @workgroup_size(64)
fn main_k3(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = wid.x * TILE_INV + lid;
    if (i >= p.cin * p.blocks_out) {
        return;
    }
    let s = wid.y;
    let ci = i % p.cin;
    let co0 = (i / p.cin) * 4u;
    let hw = p.h * p.w;
    let cl = p.cout - 1u;
    let cos = min(vec4<u32>(co0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(cl));

    var a00 = vec3<f32>(0.0);
    var a01 = vec3<f32>(0.0);
    var a02 = vec3<f32>(0.0);
    var a10 = vec3<f32>(0.0);
    var a11 = vec3<f32>(0.0);
    var a12 = vec3<f32>(0.0);
    var a20 = vec3<f32>(0.0);
    var a21 = vec3<f32>(0.0);
    var a22 = vec3<f32>(0.0);
    var a30 = vec3<f32>(0.0);
    var a31 = vec3<f32>(0.0);
    var a32 = vec3<f32>(0.0);
    var dsum = vec4<f32>(0.0);

    let hm1 = i32(p.h) - 1;
    let r0 = s * p.rows;
    let r1 = min(r0 + p.rows, p.n * p.h);
    for (var r = r0; r < r1; r++) {
        let n = r / p.h;
        let oh = r % p.h;
        let rr = vec3<i32>(i32(oh)) + vec3<i32>(-1, 0, 1);
        let rm = select(vec3<f32>(0.0), vec3<f32>(1.0), rr >= vec3<i32>(0) & rr <= vec3<i32>(hm1));
        let xr = vec3<u32>((n * p.cin + ci) * hw) + vec3<u32>(clamp(rr, vec3<i32>(0), vec3<i32>(hm1))) * p.w;
        let dr = (vec4<u32>(n * p.cout) + cos) * hw + vec4<u32>(oh * p.w);
        var lft = vec3<f32>(0.0);
        var mid = vec3<f32>(x[xr.x], x[xr.y], x[xr.z]) * rm;
        for (var ow = 0u; ow < p.w; ow++) {
            let nc = min(ow + 1u, p.w - 1u);
            let rgt = vec3<f32>(x[xr.x + nc], x[xr.y + nc], x[xr.z + nc]) * select(vec3<f32>(0.0), rm, ow + 1u < p.w);
            let d = vec4<f32>(dy[dr.x + ow], dy[dr.y + ow], dy[dr.z + ow], dy[dr.w + ow]);
            a00 += d.x * lft;
            a01 += d.x * mid;
            a02 += d.x * rgt;
            a10 += d.y * lft;
            a11 += d.y * mid;
            a12 += d.y * rgt;
            a20 += d.z * lft;
            a21 += d.z * mid;
            a22 += d.z * rgt;
            a30 += d.w * lft;
            a31 += d.w * mid;
            a32 += d.w * rgt;
            dsum += d;
            lft = mid;
            mid = rgt;
        }
    }

    let base = s * p.nw + (co0 * p.cin + ci) * 9u;
    let step = p.cin * 9u;
    store_k3(base, a00, a01, a02);
    if (co0 + 1u < p.cout) { store_k3(base + step, a10, a11, a12); }
    if (co0 + 2u < p.cout) { store_k3(base + 2u * step, a20, a21, a22); }
    if (co0 + 3u < p.cout) { store_k3(base + 3u * step, a30, a31, a32); }
    if (ci == 0u) {
        store_bias(s * p.cout + co0, co0, dsum);
    }
}

fn store_bias(base: u32, co0: u32, dsum: vec4<f32>) {
    pb[base] = dsum.x;
    if (co0 + 1u < p.cout) { pb[base + 1u] = dsum.y; }
    if (co0 + 2u < p.cout) { pb[base + 2u] = dsum.z; }
    if (co0 + 3u < p.cout) { pb[base + 3u] = dsum.w; }
}

fn store_k1(base: u32, ci0: u32, a: vec4<f32>) {
    pw[base] = a.x;
    if (ci0 + 1u < p.cin) { pw[base + 1u] = a.y; }
    if (ci0 + 2u < p.cin) { pw[base + 2u] = a.z; }
    if (ci0 + 3u < p.cin) { pw[base + 3u] = a.w; }
}

// k = 1: one invocation = 4 output channels x 4 input channels (four vec4 accumulators).
@compute @workgroup_size(64)
fn main_k1(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = wid.x * TILE_INV + lid;
    if (i >= p.blocks_in * p.blocks_out) {
        return;
    }
    let s = wid.y;
    let ci0 = (i % p.blocks_in) * 4u;
    let co0 = (i / p.blocks_in) * 4u;
    let hw = p.h * p.w;
    let q = vec4<u32>(0u, 1u, 2u, 3u);
    let cos = min(vec4<u32>(co0) + q, vec4<u32>(p.cout - 1u));
    let cis = min(vec4<u32>(ci0) + q, vec4<u32>(p.cin - 1u));

    var a0 = vec4<f32>(0.0);
    var a1 = vec4<f32>(0.0);
    var a2 = vec4<f32>(0.0);
    var a3 = vec4<f32>(0.0);
    var dsum = vec4<f32>(0.0);

    let r0 = s * p.rows;
    let r1 = min(r0 + p.rows, p.n * p.h);
    for (var r = r0; r < r1; r++) {
        let n = r / p.h;
        let oh = r % p.h;
        let xr = (vec4<u32>(n * p.cin) + cis) * hw + vec4<u32>(oh * p.w);
        let dr = (vec4<u32>(n * p.cout) + cos) * hw + vec4<u32>(oh * p.w);
        for (var ow = 0u; ow < p.w; ow++) {
            let v = vec4<f32>(x[xr.x + ow], x[xr.y + ow], x[xr.z + ow], x[xr.w + ow]);
            let d = vec4<f32>(dy[dr.x + ow], dy[dr.y + ow], dy[dr.z + ow], dy[dr.w + ow]);
            a0 += d.x * v;
            a1 += d.y * v;
            a2 += d.z * v;
            a3 += d.w * v;
            dsum += d;
        }
    }

    let base = s * p.nw + co0 * p.cin + ci0;
    store_k1(base, ci0, a0);
    if (co0 + 1u < p.cout) { store_k1(base + p.cin, ci0, a1); }
    if (co0 + 2u < p.cout) { store_k1(base + 2u * p.cin, ci0, a2); }
    if (co0 + 3u < p.cout) { store_k1(base + 3u * p.cin, ci0, a3); }
    if (ci0 == 0u) {
        store_bias(s * p.cout + co0, co0, dsum);
    }
}
