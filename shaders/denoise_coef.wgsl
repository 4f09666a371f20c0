// Library: the coefficients of one reverse-diffusion step t -> t_prev (DESIGN section 2),
// shared by `denoise` (the step) and `denoise_backward` (its gradient), so both use the
// same f32 values. rt, rp are table rows (beta, alpha, abar, 1 - abar) of t and t_prev;
// mode 0/1 = DDPM small/large variance, 2 = DDIM with eta; clip != 0 clamps the predicted x0.
// The step is x' = a*x + b*e + c*clamp(q*x + r*e, -1, 1) + sigma*z (c = 0 without clip),
// where e is the model output: with pred 0 the noise eps itself; with pred 1 (x0) or 2 (v)
// (src/kernels/prediction.rs) the output's implied x0 = qx x + qo e and eps = ex x + eo e
// are linear in (x, e), so the same form holds with the coefficients of `by_prediction`.

// The Params of both kernels (must match `Params` in src/kernels/denoise.rs): len elements,
// mode and clip as above, eta for DDIM.
struct Params {
    len: u32,
    mode: u32,
    clip: u32,
    eta: f32,
    pred: u32,
}

struct Coef {
    a: f32,
    b: f32,
    c: f32,
    q: f32,
    r: f32,
    sigma: f32,
}

fn denoise_coefficients(rt: vec4<f32>, rp: vec4<f32>, t: u32, prm: Params) -> Coef {
    let mode = prm.mode;
    let clip = prm.clip;
    let eta = prm.eta;
    let beta = rt.x;
    let alpha = rt.y;
    let abar = rt.z;
    let omt = rt.w;
    let abar_p = rp.z;
    let omp = rp.w;
    var k: Coef;
    var dir = 0.0;
    // predicted x0 = q x + r eps
    k.q = 1.0 / sqrt(abar);
    k.r = -sqrt(omt) / sqrt(abar);
    if (mode < 2u) {
        var var_ = beta * omp / omt;
        if (mode == 1u) {
            var_ = beta;
        }
        k.sigma = select(sqrt(var_), 0.0, t <= 1u);
        if (clip != 0u) {
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
        let s2 = eta * eta * (omp / omt) * gap;
        k.sigma = sqrt(max(s2, 0.0));
        dir = sqrt(max(omp - s2, 0.0));
        if (clip != 0u) {
            k.a = 0.0;
            k.b = dir;
            k.c = sqrt(abar_p);
        } else {
            k.a = sqrt(abar_p) * k.q;
            k.b = sqrt(abar_p) * k.r + dir;
            k.c = 0.0;
        }
    }
    if (prm.pred != 0u) {
        return by_prediction(k, rt, rp, prm, dir);
    }
    return k;
}

// The step for an x0 (pred 1) or v (pred 2) output e, from its implied x0 = qx x + qo e
// and eps = ex x + eo e: DDPM as the posterior mean c0 x0 + d x (the eps form of the step
// would divide by sqrt(1 - abar_t) twice), DDIM as sqrt(abar_p) x0 + dir eps. `k` brings
// sigma; `dir` is DDIM's sqrt(1 - abar_p - sigma^2).
fn by_prediction(k0: Coef, rt: vec4<f32>, rp: vec4<f32>, prm: Params, dir: f32) -> Coef {
    var k = k0;
    let a = sqrt(rt.z);
    let s = sqrt(rt.w);
    var qx = a;
    var qo = -s;
    var ex = s;
    var eo = a;
    if (prm.pred == 1u) {
        qx = 0.0;
        qo = 1.0;
        ex = 1.0 / s;
        eo = -a / s;
    }
    k.q = qx;
    k.r = qo;
    let clip = prm.clip != 0u;
    if (prm.mode < 2u) {
        let c0 = sqrt(rp.z) * rt.x / rt.w;
        let d = sqrt(rt.y) * rp.w / rt.w;
        k.c = select(0.0, c0, clip);
        k.a = select(c0 * qx + d, d, clip);
        k.b = select(c0 * qo, 0.0, clip);
    } else {
        let sp = sqrt(rp.z);
        k.c = select(0.0, sp, clip);
        k.a = select(sp * qx + dir * ex, dir * ex, clip);
        k.b = select(sp * qo + dir * eo, dir * eo, clip);
    }
    return k;
}
