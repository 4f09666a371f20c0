// One reverse-diffusion step, in place on x [len] (docs/design.md section 2), for DDPM and DDIM.
// state = [k, seed_lo, seed_hi, 0]; t = ts[k], t_prev = ts[k+1]; table rows are
// (beta, alpha, abar, 1 - abar) for t = 0..T. z ~ N(0, 1) keyed (seed, stream k, purpose Z,
// pair j); one invocation handles the element pair (2j, 2j+1).
//   mode 0/1, DDPM (t_prev = t - 1), variance "small" (beta_tilde) / "large" (beta):
//     no clip: x' = (x - beta_t / sqrt(1 - abar_t) eps) / sqrt(alpha_t) + sigma z
//     clip:    x0 = clamp((x - sqrt(1 - abar_t) eps) / sqrt(abar_t), -1, 1),
//              x' = sqrt(abar_p) beta_t / (1 - abar_t) x0
//                   + sqrt(alpha_t) (1 - abar_p) / (1 - abar_t) x + sigma z
//     z = 0 at t = 1.
//   mode 2, DDIM with eta: x0 as above (clamped if clip), abar_p = abar of the kept step t_prev,
//     sigma^2 = eta^2 (1 - abar_p)/(1 - abar_t) (1 - abar_t/abar_p),
//     x' = sqrt(abar_p) x0 + sqrt(1 - abar_p - sigma^2) eps + sigma z  (eps unclipped).

struct Params {
    len: u32,
    mode: u32,
    clip: u32,
    eta: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> ts: array<u32>;
@group(0) @binding(3) var<storage, read> state: array<u32>;
@group(0) @binding(4) var<storage, read> eps: array<f32>;
@group(0) @binding(5) var<storage, read_write> x: array<f32>;

// Per-step coefficients: x' = a*x + b*e + c*clamp(q*x + r*e) + sigma*z (c = 0 without clip).
struct Coef {
    a: f32,
    b: f32,
    c: f32,
    q: f32,
    r: f32,
    sigma: f32,
}

fn coefficients(t: u32, tp: u32) -> Coef {
    let rt = table[t];
    let rp = table[tp];
    let beta = rt.x;
    let alpha = rt.y;
    let abar = rt.z;
    let omt = rt.w;
    let abar_p = rp.z;
    let omp = rp.w;
    var k: Coef;
    // predicted x0 = q x + r eps
    k.q = 1.0 / sqrt(abar);
    k.r = -sqrt(omt) / sqrt(abar);
    if (p.mode < 2u) {
        var var_ = beta * omp / omt;
        if (p.mode == 1u) {
            var_ = beta;
        }
        k.sigma = select(sqrt(var_), 0.0, t <= 1u);
        if (p.clip != 0u) {
            k.a = sqrt(alpha) * omp / omt;
            k.b = 0.0;
            k.c = sqrt(abar_p) * beta / omt;
        } else {
            k.a = 1.0 / sqrt(alpha);
            k.b = -beta / (sqrt(omt) * sqrt(alpha));
            k.c = 0.0;
        }
    } else {
        // 1 - abar_t/abar_p without cancellation: from the (1 - abar) column while abar_p is
        // near 1 (small t), from the ratio once abar_p <= 0.5 (there 1 - abar loses digits).
        let gap = select(1.0 - abar / abar_p, (omt - omp) / abar_p, abar_p > 0.5);
        let s2 = p.eta * p.eta * (omp / omt) * gap;
        k.sigma = sqrt(max(s2, 0.0));
        let dir = sqrt(max(omp - s2, 0.0));
        if (p.clip != 0u) {
            k.a = 0.0;
            k.b = dir;
            k.c = sqrt(abar_p);
        } else {
            k.a = sqrt(abar_p) * k.q;
            k.b = sqrt(abar_p) * k.r + dir;
            k.c = 0.0;
        }
    }
    return k;
}

fn step_one(e: u32, k: Coef, z: f32) {
    let xv = x[e];
    let ev = eps[e];
    var v = k.a * xv + k.b * ev + k.sigma * z;
    if (p.clip != 0u) {
        v = v + k.c * clamp(k.q * xv + k.r * ev, -1.0, 1.0);
    }
    x[e] = v;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let j = flat_index(gid);
    let e = 2u * j;
    if (e >= p.len) {
        return;
    }
    let step = state[0];
    let k = coefficients(ts[step], ts[step + 1u]);
    var z = vec2<f32>(0.0, 0.0);
    if (k.sigma > 0.0) {
        z = rng_normal2(vec2<u32>(state[1], state[2]), j, vec2<u32>(step, 0u), PURPOSE_Z);
    }
    step_one(e, k, z.x);
    if (e + 1u < p.len) {
        step_one(e + 1u, k, z.y);
    }
}
