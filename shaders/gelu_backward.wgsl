// dx += dy * gelu'(x), gelu'(x) = Phi(x) + x * exp(-x^2 / 2) / sqrt(2 pi); the frame is the
// `activation_backward` library.

// import erf, activation_backward, grid_1d

fn act_grad(v: f32, g: f32) -> f32 {
    let pdf = 0.39894228040143268 * exp(-0.5 * v * v);
    return g * (normal_cdf(v) + v * pdf);
}
