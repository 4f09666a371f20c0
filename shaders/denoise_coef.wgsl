// Library: the coefficients of one reverse-diffusion step t -> t_prev (DESIGN section 2),
// shared by `denoise` (the step) and `denoise_backward` (its gradient), so both use the
// same f32 values. rt, rp are table rows (beta, alpha, abar, 1 - abar) of t and t_prev;
// mode 0/1 = DDPM small/large variance, 2 = DDIM with eta; clip != 0 clamps the predicted x0.
// The step is x' = a*x + b*e + c*clamp(q*x + r*e, -1, 1) + sigma*z (c = 0 without clip).

// The Params of both kernels (must match `Params` in src/kernels/denoise.rs): len elements,
// mode and clip as above, eta for DDIM.
struct Params {
    len: u32,
    mode: u32,
    clip: u32,
    eta: f32,
}

struct Coef {
    a: f32,
    b: f32,
    c: f32,
    q: f32,
    r: f32,
    sigma: f32,
}

fn denoise_coefficients(rt: vec4<f32>, rp: vec4<f32>, t: u32, mode: u32, clip: u32, eta: f32) -> Coef {
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
        let dir = sqrt(max(omp - s2, 0.0));
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
    return k;
}
