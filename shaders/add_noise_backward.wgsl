// Backward of add-noise, x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps, for the t it drew:
//   dx0 += sqrt(abar_t) g,   deps += sqrt(1 - abar_t) g    (g = dL/dx_t; accumulates)
// Grid: x = quads of 4 consecutive elements within one image, y = image, so
// t[img] and its table row are read once per invocation and no index is divided.

struct Params {
    n: u32,
    chw: u32,
    quads: u32, // ceil(chw / 4): invocations per image
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> t: array<u32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx0: array<f32>;
@group(0) @binding(5) var<storage, read_write> deps: array<f32>;

fn back_one(e: u32, s0: f32, s1: f32) {
    let gv = g[e];
    dx0[e] += s0 * gv;
    deps[e] += s1 * gv;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let img = gid.y;
    let q = gid.x;
    if (img >= p.n || q >= p.quads) {
        return;
    }
    let row = table[t[img]];
    let s0 = sqrt(row.z);
    let s1 = sqrt(row.w);
    let j = 4u * q;
    let e = img * p.chw + j;
    if (j + 3u < p.chw) {
        back_one(e, s0, s1);
        back_one(e + 1u, s0, s1);
        back_one(e + 2u, s0, s1);
        back_one(e + 3u, s0, s1);
    } else {
        for (var i = 0u; i < 3u; i++) {
            if (j + i < p.chw) {
                back_one(e + i, s0, s1);
            }
        }
    }
}
