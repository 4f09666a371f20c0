// Backward of one reverse-diffusion step (`denoise`), with the noise z held fixed (it is a
// constant of the step, so it gets no gradient). From g = dL/dx' (x' = the step's output):
//   x' = a*x + b*e + c*clamp(q*x + r*e, -1, 1) + sigma*z    (`denoise_coef`)
//   m  = 1 where -1 <= q*x + r*e <= 1, else 0 (only with clip; the clamp passes no gradient
//        outside)
//   dx += (a + c*q*m) g,   deps += (b + c*r*m) g    (accumulates)
// state = [k, ...]: t = ts[k], t_prev = ts[k+1], read once per invocation. One invocation
// handles 4 consecutive elements with straight-line loads; only the last one has a tail.

// import denoise_coef

// Params: shaders/denoise_coef.wgsl.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> ts: array<u32>;
@group(0) @binding(3) var<storage, read> state: array<u32>;
@group(0) @binding(4) var<storage, read> g: array<f32>;
@group(0) @binding(5) var<storage, read> x: array<f32>;
@group(0) @binding(6) var<storage, read> eps: array<f32>;
@group(0) @binding(7) var<storage, read_write> dx: array<f32>;
@group(0) @binding(8) var<storage, read_write> deps: array<f32>;

fn back_one(e: u32, k: Coef) {
    let gv = g[e];
    var ax = k.a;
    var ae = k.b;
    if (p.clip != 0u) {
        let v = k.q * x[e] + k.r * eps[e];
        let m = select(0.0, k.c, abs(v) <= 1.0);
        ax += m * k.q;
        ae += m * k.r;
    }
    dx[e] += ax * gv;
    deps[e] += ae * gv;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let e = 4u * flat_index(gid);
    if (e >= p.len) {
        return;
    }
    let step = state[0];
    let t = ts[step];
    let k = denoise_coefficients(table[t], table[ts[step + 1u]], t, p);
    if (e + 3u < p.len) {
        back_one(e, k);
        back_one(e + 1u, k);
        back_one(e + 2u, k);
        back_one(e + 3u, k);
    } else {
        for (var j = 0u; j < 3u; j++) {
            if (e + j < p.len) {
                back_one(e + j, k);
            }
        }
    }
}
