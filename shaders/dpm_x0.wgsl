// Library: the x0 a DPM-Solver++ step predicts from the model output o at x_s = xv, for
// the step's row s = (alpha_s, sigma_s, 1 / alpha_s, sigma_s / alpha_s) and the prediction
// code pred (0 eps: (x - sigma o) / alpha; 1 x0: o; 2 v: alpha x - sigma o), clamped to
// [-1, 1] if clip != 0. dpm_x0_coef gives its (d/dx, d/do) before the clamp.

fn dpm_x0_coef(pred: u32, s: vec4<f32>) -> vec2<f32> {
    switch pred {
        case 1u: {
            return vec2<f32>(0.0, 1.0);
        }
        case 2u: {
            return vec2<f32>(s.x, -s.y);
        }
        default: {
            return vec2<f32>(s.z, -s.w);
        }
    }
}

fn dpm_x0(pred: u32, clip: u32, s: vec4<f32>, xv: f32, o: f32) -> f32 {
    let q = dpm_x0_coef(pred, s);
    let d0 = q.x * xv + q.y * o;
    if (clip != 0u) {
        return clamp(d0, -1.0, 1.0);
    }
    return d0;
}
