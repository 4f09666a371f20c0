// Fused forward diffusion (docs/design.md section 2), one pass over x0 [n, chw]:
//   t[i] = uniform in 1..T per image, keyed (seed, step, purpose T, index i), or t_fixed for
//          every image when t_fixed > 0 (SDEdit noises to one chosen t)
//   eps[e] = N(0, 1) keyed (seed, step, purpose EPS, element e; pairs share a Philox call)
//   xt[e] = sqrt(abar_t) x0[e] + sqrt(1 - abar_t) eps[e]
//   goal[e] = the training target of prediction code `pred` (src/kernels/prediction.rs):
//          0 eps, 1 x0, 2 v = sqrt(abar_t) eps - sqrt(1 - abar_t) x0 (Salimans & Ho 2022)
// rng_state = [seed_lo, seed_hi, step_lo, step_hi], rewritten by the host every step.
// table = schedule rows (beta, alpha, abar, 1 - abar) for t = 0..T.
// One invocation handles the element pair (2j, 2j+1); every invocation touching image i
// computes the same t[i], and the one holding element i*chw writes it.

// import rng

struct Params {
    n: u32,
    chw: u32,
    t_max: u32,
    t_fixed: u32,
    pred: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> rng_state: array<u32>;
@group(0) @binding(3) var<storage, read> x0: array<f32>;
@group(0) @binding(4) var<storage, read_write> t_out: array<u32>;
@group(0) @binding(5) var<storage, read_write> xt: array<f32>;
@group(0) @binding(6) var<storage, read_write> goal: array<f32>; // the training target (`target` is reserved)

fn noise_one(e: u32, z: f32, key: vec2<u32>, stream: vec2<u32>) {
    let img = e / p.chw;
    let t = select(rng_timestep(key, img, stream, PURPOSE_T, p.t_max), p.t_fixed, p.t_fixed > 0u);
    if (e == img * p.chw) {
        t_out[img] = t;
    }
    let row = table[t];
    let x = x0[e];
    xt[e] = sqrt(row.z) * x + sqrt(row.w) * z;
    var y = z;
    if (p.pred == 1u) {
        y = x;
    } else if (p.pred == 2u) {
        y = sqrt(row.z) * z - sqrt(row.w) * x;
    }
    goal[e] = y;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let j = flat_index(gid);
    let len = p.n * p.chw;
    let e = 2u * j;
    if (e >= len) {
        return;
    }
    let key = vec2<u32>(rng_state[0], rng_state[1]);
    let stream = vec2<u32>(rng_state[2], rng_state[3]);
    let z = rng_normal2(key, j, stream, PURPOSE_EPS);
    noise_one(e, z.x, key, stream);
    if (e + 1u < len) {
        noise_one(e + 1u, z.y, key, stream);
    }
}
