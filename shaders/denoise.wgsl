// One reverse-diffusion step, in place on x [len] (docs/design.md section 2), for DDPM and DDIM.
// state = [k, seed_lo, seed_hi, 0]; t = ts[k], t_prev = ts[k+1]; table rows are
// (beta, alpha, abar, 1 - abar) for t = 0..T. z ~ N(0, 1) keyed (seed, stream k, purpose Z,
// pair j); one invocation handles the element pair (2j, 2j+1). The coefficients come from
// the `denoise_coef` library (shared with denoise_backward).
//   mode 0/1, DDPM (t_prev = t - 1), variance "small" (beta_tilde) / "large" (beta):
//     no clip: x' = (x - beta_t / sqrt(1 - abar_t) eps) / sqrt(alpha_t) + sigma z
//     clip:    x0 = clamp((x - sqrt(1 - abar_t) eps) / sqrt(abar_t), -1, 1),
//              x' = sqrt(abar_p) beta_t / (1 - abar_t) x0
//                   + sqrt(alpha_t) (1 - abar_p) / (1 - abar_t) x + sigma z
//     z = 0 at t = 1.
//   mode 2, DDIM with eta: x0 as above (clamped if clip), abar_p = abar of the kept step t_prev,
//     sigma^2 = eta^2 (1 - abar_p)/(1 - abar_t) (1 - abar_t/abar_p),
//     x' = sqrt(abar_p) x0 + sqrt(1 - abar_p - sigma^2) eps + sigma z  (eps unclipped).

// import rng, denoise_coef, grid_pairs

// Params: shaders/denoise_coef.wgsl.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> ts: array<u32>;
@group(0) @binding(3) var<storage, read> state: array<u32>;
@group(0) @binding(4) var<storage, read> eps: array<f32>;
@group(0) @binding(5) var<storage, read_write> x: array<f32>;

fn step_one(e: u32, k: Coef, z: f32) {
    let xv = x[e];
    let ev = eps[e];
    var v = k.a * xv + k.b * ev + k.sigma * z;
    if (p.clip != 0u) {
        v = v + k.c * clamp(k.q * xv + k.r * ev, -1.0, 1.0);
    }
    x[e] = v;
}

// Entry point: shaders/grid_pairs.wgsl.
fn pair(j: u32, e: u32) {
    let step = state[0];
    let t = ts[step];
    let k = denoise_coefficients(table[t], table[ts[step + 1u]], t, p);
    var z = vec2<f32>(0.0, 0.0);
    if (k.sigma > 0.0) {
        z = rng_normal2(vec2<u32>(state[1], state[2]), j, vec2<u32>(step, 0u), PURPOSE_Z);
    }
    step_one(e, k, z.x);
    if (e + 1u < p.len) {
        step_one(e + 1u, k, z.y);
    }
}
